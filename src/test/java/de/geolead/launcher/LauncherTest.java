package de.geolead.launcher;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LauncherTest {

    @Test
    void sandboxAsFirstArgumentStartsTheSandboxWithTheRest() {
        assertThat(Launcher.sandboxArgs(new String[] {"sandbox", "--duration=90s"})).containsExactly("--duration=90s");
        assertThat(Launcher.sandboxArgs(new String[] {"sandbox"})).isEmpty();
    }

    @Test
    void anythingElseIsAProductionStart() {
        assertThat(Launcher.sandboxArgs(new String[0])).isNull();
        assertThat(Launcher.sandboxArgs(new String[] {"--duration=90s", "sandbox"})).isNull();
    }

    @Test
    void theJarStartsTheLauncher() throws IOException {
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<mainClass>" + Launcher.class.getName() + "</mainClass>");
    }
}
