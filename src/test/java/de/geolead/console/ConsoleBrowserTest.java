package de.geolead.console;

import de.geolead.testing.BrowserScript;
import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console in a real browser: Debian's headless {@code chromium}, driven by {@code playwright-core} in
 * {@code src/test/browser/console-test.mjs}, logs in as a viewer through the login form, opens the Camel tab,
 * finds the import, distribution, delivery and webhook routes, and presses Stop, which the console refuses.
 * Screenshots go to {@code target/}. Skipped where chromium or the npm packages are not installed.
 */
class ConsoleBrowserTest {

    static final Path SCREENSHOTS = BrowserScript.SCREENSHOTS;

    @TempDir
    Path dir;

    @Test
    void aViewerSeesTheCamelRoutesAndIsRefusedStop() throws Exception {
        BrowserScript.assumeInstalled();

        Path users = dir.resolve("console-users.properties");
        Files.writeString(users, String.join("\n",
                "# console users",
                ConsoleUsers.line("vera", "vera-Secret-1".toCharArray(), List.of("viewer")),
                ""));
        int port = RunningApp.freePort();
        try (RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                "geolead.console.port", Integer.toString(port),
                "geolead.console.users.file", users.toString()))) {
            runBrowserTest(port);
            assertThat(app.context().getRouteController().getRouteStatus("distribution-sweep-run")).isEqualTo(ServiceStatus.Started);
        }
    }

    /** {@code node console-test.mjs} against the console on {@code port}, its output on stdout. */
    private static void runBrowserTest(int port) throws Exception {
        Path routesShot = SCREENSHOTS.resolve("console-camel-routes.png");
        Path refusedShot = SCREENSHOTS.resolve("console-stop-refused.png");
        Files.createDirectories(SCREENSHOTS);
        Files.deleteIfExists(routesShot);
        Files.deleteIfExists(refusedShot);

        BrowserScript.run("console-test.mjs",
                "http://127.0.0.1:" + port, "vera", "vera-Secret-1", SCREENSHOTS.toString());
        assertThat(routesShot).as("screenshot of the route list").exists().isNotEmptyFile();
        assertThat(refusedShot).as("screenshot after the refused Stop").exists().isNotEmptyFile();
        assertThat(Files.readAllBytes(routesShot)).startsWith(0x89, 'P', 'N', 'G');
    }

}
