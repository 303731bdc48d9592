package de.geolead.config;

import de.geolead.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Several instances must accept one login: a generated per-instance file on a shared database is warned about. */
class ManagementUsersTest {

    static final String MULTI_INSTANCE_WARNING = "every instance on this database generates its own management login";

    @TempDir
    Path dataDir;

    @Test
    void anExternalDatabaseWithoutUsersFileGivesOneWarningAndStillGeneratesTheLogin() {
        try (LogCapture log = LogCapture.open()) {
            Path file = ManagementUsers.usersFile("", dataDir, "jdbc:postgresql://db:5432/geolead");

            assertThat(file).isEqualTo(dataDir.resolve("management-users.properties")).exists();
            assertThat(log.linesContaining(MULTI_INSTANCE_WARNING)).hasSize(1).first().asString()
                    .startsWith("WARN").contains("GEOLEAD_MANAGEMENT_USERS_FILE should name one shared file or secret");
        }
    }

    @Test
    void theEmbeddedDatabaseIsOneInstanceSoTheGeneratedLoginIsNotWarnedAbout() throws Exception {
        try (LogCapture log = LogCapture.open()) {
            Path file = ManagementUsers.usersFile("", dataDir, "");

            assertThat(Files.readString(file)).contains("user.ops = ");
            assertThat(log.linesContaining(MULTI_INSTANCE_WARNING)).isEmpty();
        }
    }

    @Test
    void aConfiguredUsersFileIsUsedAsItIsWithoutWarning() throws Exception {
        Path shared = Files.writeString(dataDir.resolve("shared-users.properties"), "user.ops = secret,operator\nrole.operator = *\n");
        try (LogCapture log = LogCapture.open()) {
            assertThat(ManagementUsers.usersFile(shared.toString(), dataDir, "jdbc:postgresql://db:5432/geolead")).isEqualTo(shared);
            assertThat(log.linesContaining(MULTI_INSTANCE_WARNING)).isEmpty();
            assertThat(dataDir.resolve("management-users.properties")).doesNotExist();
        }
    }
}
