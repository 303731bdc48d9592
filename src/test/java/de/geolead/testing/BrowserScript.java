package de.geolead.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A browser test script in {@code src/test/browser} ({@code playwright-core} driving Debian's headless
 * {@code chromium}), run with {@code node}: {@link #assumeInstalled()} skips the test where chromium, node or the npm
 * packages are missing; {@link #run} runs the script, forwards its output to stdout and asserts it ended in time
 * with exit code 0 and printed {@code [browser] PASS}. Screenshots go to {@link #SCREENSHOTS}.
 */
public final class BrowserScript {

    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path BROWSER_TESTS = Path.of("src/test/browser").toAbsolutePath();
    public static final Path SCREENSHOTS = Path.of("target").toAbsolutePath();
    static final String INSTALL = "apt-get install -y chromium && npm ci --prefix src/test/browser";
    static final long TIMEOUT_SECONDS = 120;

    private BrowserScript() {
    }

    /** Skips the calling test (JUnit assumption) unless chromium, node and playwright-core are installed. */
    public static void assumeInstalled() {
        assumeTrue(Files.isExecutable(CHROMIUM), "browser test skipped: no " + CHROMIUM + " (install with: " + INSTALL + ")");
        assumeTrue(Files.isDirectory(BROWSER_TESTS.resolve("node_modules/playwright-core")),
                "browser test skipped: no src/test/browser/node_modules/playwright-core (install with: " + INSTALL + ")");
        assumeTrue(onPath("node"), "browser test skipped: no node on the PATH (Node.js 20 and npm are needed: " + INSTALL + ")");
    }

    /** {@code node <script> <args…>} in src/test/browser; fails the test unless it passes within two minutes. */
    public static void run(String script, String... args) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        List<String> command = new ArrayList<>(List.of("node", BROWSER_TESTS.resolve(script).toString()));
        command.addAll(List.of(args));
        Process node = new ProcessBuilder(command).directory(BROWSER_TESTS.toFile()).redirectErrorStream(true).start();
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
        }, script + "-output");
        forward.setDaemon(true);
        forward.start();

        boolean finished = node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        forward.join(TimeUnit.SECONDS.toMillis(10));

        String log = String.join("\n", output);
        assertThat(finished).as("%s ends within %d s; its output:%n%s", script, TIMEOUT_SECONDS, log).isTrue();
        assertThat(node.exitValue()).as("exit code of node %s; its output:%n%s", script, log).isZero();
        assertThat(log).contains("[browser] PASS");
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
