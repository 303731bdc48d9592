package de.geolead.console;

import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What ops see when the console cannot run: one clear line, no open port, and the rest of Geolead running. */
class HawtioConsoleStartupTest {

    @TempDir
    Path dir;

    @Test
    void withoutUsersFileTheConsoleStaysOffWithOneWarning() {
        int port = RunningApp.freePort();
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                     "geolead.console.port", Integer.toString(port),
                     "geolead.console.users.file", ""))) {

            assertThat(log.linesContaining("Hawtio console")).singleElement().asString()
                    .startsWith("WARN ").contains("NOT started", "GEOLEAD_CONSOLE_USERS_FILE", ConsoleUsers.class.getName());
            assertClosed(port);
            assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);
        }
    }

    @Test
    void aUsersFileThatDoesNotExistIsNamedInTheWarning() {
        int port = RunningApp.freePort();
        Path missing = dir.resolve("no-such-users.properties");
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                     "geolead.console.port", Integer.toString(port),
                     "geolead.console.users.file", missing.toString()))) {

            assertThat(log.linesContaining("Hawtio console")).singleElement().asString()
                    .startsWith("WARN ").contains("NOT started", missing.toString(), "does not exist");
            assertClosed(port);
        }
    }

    @Test
    void aMissingWarIsOneErrorAndTheApplicationRuns() throws IOException {
        int port = RunningApp.freePort();
        Path war = dir.resolve("no-such-hawtio.war");
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                     "geolead.console.port", Integer.toString(port),
                     "geolead.console.users.file", usersFile().toString(),
                     "geolead.console.war", war.toString()))) {

            assertThat(log.linesContaining("Hawtio console")).singleElement().asString()
                    .startsWith("ERROR ").contains("NOT started", war.toString(), "GEOLEAD_CONSOLE_WAR");
            assertClosed(port);
            assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);
            assertThat(app.context().getRouteController().getRouteStatus("distribution-sweep-run")).isEqualTo(ServiceStatus.Started);
        }
    }

    @Test
    void aWarThatDoesNotDeployIsOneErrorAndTheApplicationRuns() throws IOException {
        int port = RunningApp.freePort();
        Path war = Files.writeString(dir.resolve("broken.war"), "not a war");
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                     "geolead.console.port", Integer.toString(port),
                     "geolead.console.users.file", usersFile().toString(),
                     "geolead.console.war", war.toString()))) {

            assertThat(log.linesContaining("Hawtio console")).singleElement().asString()
                    .startsWith("ERROR ").contains("NOT started", war.toString());
            assertClosed(port);
            assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);
        }
    }

    @Test
    void byDefaultTheWarIsTheOneTheBuildPutsBesideTheClasses() {
        assertThat(HawtioConsole.defaultWar()).isEqualTo(Path.of("target", "hawtio", "hawtio.war").toAbsolutePath()).isRegularFile();
    }

    private Path usersFile() throws IOException {
        return Files.writeString(dir.resolve("users.properties"),
                ConsoleUsers.line("vera", "vera-Secret-1".toCharArray(), List.of("viewer")) + "\n");
    }

    private static void assertClosed(int port) {
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
    }
}
