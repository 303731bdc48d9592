package de.geolead.console;

import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The console in a real browser: Debian's headless {@code chromium}, driven by {@code playwright-core} in
 * {@code src/test/browser/console-test.mjs}, logs in as a viewer through the login form, opens the Camel tab,
 * finds the import, distribution, delivery and webhook routes, and presses Stop, which the console refuses.
 * Screenshots go to {@code target/}. Skipped where chromium or the npm packages are not installed.
 */
class ConsoleBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path BROWSER_TESTS = Path.of("src/test/browser").toAbsolutePath();
    static final Path SCRIPT = BROWSER_TESTS.resolve("console-test.mjs");
    static final Path SCREENSHOTS = Path.of("target").toAbsolutePath();
    static final String INSTALL = "apt-get install -y chromium && npm ci --prefix src/test/browser";
    static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path dir;

    @Test
    void aViewerSeesTheCamelRoutesAndIsRefusedStop() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "browser test skipped: no " + CHROMIUM + " (install with: " + INSTALL + ")");
        assumeTrue(Files.isDirectory(BROWSER_TESTS.resolve("node_modules/playwright-core")),
                "browser test skipped: no src/test/browser/node_modules/playwright-core (install with: " + INSTALL + ")");
        assumeTrue(onPath("node"), "browser test skipped: no node on the PATH (Node.js 20 and npm are needed: " + INSTALL + ")");

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

        Process node = new ProcessBuilder("node", SCRIPT.toString(),
                "http://127.0.0.1:" + port, "vera", "vera-Secret-1", SCREENSHOTS.toString())
                .directory(BROWSER_TESTS.toFile())
                .redirectErrorStream(true)
                .start();
        node.getOutputStream().close();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Thread forward = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    System.out.println(line);
                    output.add(line);
                }
            } catch (java.io.IOException e) {
                System.out.println("[browser] output lost: " + e);
            }
        }, "console-browser-test-output");
        forward.setDaemon(true);
        forward.start();

        boolean finished = node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        forward.join(TimeUnit.SECONDS.toMillis(10));

        String log = String.join("\n", output);
        assertThat(finished).as("the browser test ends within %d s; its output:%n%s", TIMEOUT_SECONDS, log).isTrue();
        assertThat(node.exitValue()).as("exit code of node console-test.mjs; its output:%n%s", log).isZero();
        assertThat(log).contains("[browser] PASS");
        assertThat(routesShot).as("screenshot of the route list").exists().isNotEmptyFile();
        assertThat(refusedShot).as("screenshot after the refused Stop").exists().isNotEmptyFile();
        assertThat(Files.readAllBytes(routesShot)).startsWith(0x89, 'P', 'N', 'G');
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, command))) {
                return true;
            }
        }
        return false;
    }
}
