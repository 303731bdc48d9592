package de.geolead.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The logins of the management port ({@code /observe/health}, {@code /observe/metrics}, {@code /observe/jolokia}).
 * Every endpoint there requires one. Without {@code GEOLEAD_MANAGEMENT_USERS_FILE}, a file with one user
 * {@code ops} and a generated password is written once under the data directory (readable by the owner only).
 * That file belongs to one instance: with an external database (a deployment that may run several instances)
 * one warning says that every instance would accept a different login.
 */
public final class ManagementUsers {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementUsers.class);
    public static final String GENERATED_USER = "ops";

    private ManagementUsers() {
    }

    /**
     * The users file to use: the configured one (which must exist), else the generated one under the data directory.
     *
     * @param databaseUrl {@code GEOLEAD_DB_URL}; set = an external database, shared by every instance of a cluster
     */
    public static Path usersFile(String configured, Path dataDir, String databaseUrl) {
        if (!configured.isBlank()) {
            Path file = Path.of(configured);
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("GEOLEAD_MANAGEMENT_USERS_FILE " + file + " does not exist or is not readable");
            }
            return file;
        }
        if (!databaseUrl.isBlank()) {
            LOG.warn("GEOLEAD_MANAGEMENT_USERS_FILE is not set: every instance on this database generates its own "
                    + "management login; with several instances GEOLEAD_MANAGEMENT_USERS_FILE should name one shared "
                    + "file or secret (README, Running several instances)");
        }
        Path file = dataDir.resolve("management-users.properties");
        if (!Files.exists(file)) {
            write(file);
            LOG.warn("Management endpoints (health, metrics, Jolokia) require a login: generated user '{}' in {} "
                    + "(the password is in that file; set GEOLEAD_MANAGEMENT_USERS_FILE to use your own)", GENERATED_USER, file);
        }
        return file;
    }

    private static void write(Path file) {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String content = "# Vert.x properties authentication: user.<name> = <password>,<role>\n"
                + "user." + GENERATED_USER + " = " + password + ",operator\n"
                + "role.operator = *\n";
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + file, e);
        }
    }
}
