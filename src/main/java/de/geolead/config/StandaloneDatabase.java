package de.geolead.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import de.geolead.db.Database;
import org.flywaydb.core.Flyway;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Geolead's settings and database for a command that runs beside (or instead of) the application, such as
 * {@code verify-receipt}: the settings as the application resolves them (application.properties with the
 * environment), and the database they name: GEOLEAD_DB_URL, or the embedded PostgreSQL in the data directory:
 * the running one (its port from {@code postmaster.pid}) or, when Geolead is not running, started here for the
 * command and stopped again. Nothing is migrated here: {@link #openCurrent} refuses a schema this jar does not
 * expect (start this version of Geolead once first), for a command that writes such as {@code rotate-data-keys}.
 */
public final class StandaloneDatabase implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final EmbeddedDatabase startedHere;
    private final Database database;

    private StandaloneDatabase(HikariDataSource dataSource, EmbeddedDatabase startedHere) {
        this.dataSource = dataSource;
        this.startedHere = startedHere;
        this.database = new Database(dataSource);
    }

    /** The settings as the application reads them: application.properties, its {{env:…}} placeholders, system properties. */
    public static GeoleadSettings settings() {
        // a context that is never started: only its properties component, set up as GeoleadApplication does
        PropertiesComponent properties = (PropertiesComponent) new DefaultCamelContext().getPropertiesComponent();
        properties.setLocation("classpath:application.properties");
        properties.setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_FALLBACK);
        return GeoleadSettings.from(key -> properties.resolveProperty(key).orElse(""));
    }

    /**
     * Opens the database of {@code settings}, or empty with the reason when there is none to read: no embedded
     * database in the data directory yet, or it cannot be reached (the reason names no password).
     */
    public static Opened open(GeoleadSettings settings) {
        EmbeddedDatabase started = null;
        HikariDataSource dataSource = null;
        try {
            String url = settings.dbUrl();
            GeoleadSettings credentials = settings;
            if (settings.embeddedDatabase()) {
                Path postgres = settings.dataDir().resolve("postgres");
                if (!Files.isDirectory(postgres)) {
                    return new Opened(null, "no database: GEOLEAD_DB_URL is unset and there is no embedded database in " + postgres);
                }
                Optional<Integer> port = runningPort(postgres);
                if (port.isPresent()) {
                    url = "jdbc:postgresql://127.0.0.1:" + port.get() + "/" + EmbeddedDatabase.DATABASE;
                } else {
                    started = EmbeddedDatabase.start(postgres);
                    url = started.jdbcUrl();
                }
                credentials = GeoleadSettings.from(key -> key.equals("geolead.db.user") ? "postgres" : "");
            }
            HikariConfig config = Infrastructure.poolConfig("geolead-command-db", url, credentials, 2);
            config.setConnectionTimeout(5_000);
            config.addDataSourceProperty("connectTimeout", "5");
            dataSource = new HikariDataSource(config);
            return new Opened(new StandaloneDatabase(dataSource, started), null);
        } catch (Exception | Error e) {
            if (dataSource != null) {
                dataSource.close();
            }
            closeQuietly(started);
            return new Opened(null, "database not reachable (" + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * Opens the database of {@code settings} for a command that writes: throws with the reason when there is none, or
     * when migrations of this jar are still pending on it (its schema is older than the code).
     */
    public static StandaloneDatabase openCurrent(GeoleadSettings settings) {
        Opened opened = open(settings);
        if (opened.database() == null) {
            throw new IllegalStateException(opened.whyNot());
        }
        StandaloneDatabase database = opened.database();
        int pending;
        try {
            pending = Flyway.configure().dataSource(database.dataSource).locations("classpath:db/migration").load().info().pending().length;
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        if (pending > 0) {
            database.close();
            throw new IllegalStateException("The database schema is not current (" + pending
                    + " migration(s) pending): start this version of Geolead once first");
        }
        return database;
    }

    /** An opened database, or why there is none. */
    public record Opened(StandaloneDatabase database, String whyNot) {
    }

    /** The port of the PostgreSQL running on this data directory: line 4 of its postmaster.pid. */
    static Optional<Integer> runningPort(Path postgresDir) throws IOException {
        Path pid = postgresDir.resolve("postmaster.pid");
        if (!Files.exists(pid)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pid, StandardCharsets.UTF_8);
        try {
            return lines.size() >= 4 ? Optional.of(Integer.parseInt(lines.get(3).strip())) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        dataSource.close();
        closeQuietly(startedHere);
    }

    private static void closeQuietly(EmbeddedDatabase embedded) {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                // the command is done either way
            }
        }
    }
}
