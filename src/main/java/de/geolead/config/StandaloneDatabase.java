package de.geolead.config;

import com.zaxxer.hikari.HikariDataSource;
import de.geolead.db.Database;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.flywaydb.core.Flyway;

/**
 * Geolead's settings and database for a command that runs beside the application, outside Camel (such as
 * {@code rotate-data-keys}): the settings resolved from {@code application.properties}, the environment and {@code -D}
 * system properties exactly as a start resolves them, and a small pool on the database they name. Without
 * {@code GEOLEAD_DB_URL} that is the embedded database under {@code GEOLEAD_DATA_DIR}, which serves one process: the
 * command starts it, so Geolead must be stopped first. The schema is not migrated here: it must be the one this jar
 * expects (start Geolead once after an upgrade).
 */
public final class StandaloneDatabase implements AutoCloseable {

    private final EmbeddedDatabase embedded;
    private final HikariDataSource dataSource;
    private final Database database;

    private StandaloneDatabase(EmbeddedDatabase embedded, HikariDataSource dataSource) {
        this.embedded = embedded;
        this.dataSource = dataSource;
        this.database = new Database(dataSource);
    }

    /** The settings as {@code java -jar geolead.jar} would read them at start-up. */
    public static GeoleadSettings settings() {
        // never started: only its properties component is used
        DefaultCamelContext context = new DefaultCamelContext();
        PropertiesComponent properties = (PropertiesComponent) context.getPropertiesComponent();
        properties.setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_FALLBACK);
        properties.setLocation("classpath:application.properties");
        return GeoleadSettings.from(key -> properties.resolveProperty(key).orElse(""));
    }

    /** Opens the database of {@code settings}; throws with a clear message when it cannot be used. */
    public static StandaloneDatabase open(GeoleadSettings settings) {
        EmbeddedDatabase embedded = null;
        HikariDataSource dataSource = null;
        try {
            String jdbcUrl = settings.dbUrl();
            if (settings.embeddedDatabase()) {
                try {
                    embedded = EmbeddedDatabase.start(settings.dataDir().resolve("postgres"));
                } catch (Exception e) {
                    throw new IllegalStateException("The embedded database in " + settings.dataDir().resolve("postgres")
                            + " could not be started (" + e.getClass().getSimpleName() + "); it serves one process: stop Geolead first", e);
                }
                jdbcUrl = embedded.jdbcUrl();
            }
            dataSource = new HikariDataSource(Infrastructure.poolConfig("geolead-command", jdbcUrl, settings, 2));
            int pending = Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().info().pending().length;
            if (pending > 0) {
                throw new IllegalStateException("The database schema is not current (" + pending
                        + " migration(s) pending): start this version of Geolead once first");
            }
            return new StandaloneDatabase(embedded, dataSource);
        } catch (RuntimeException e) {
            if (dataSource != null) {
                dataSource.close();
            }
            closeQuietly(embedded);
            throw e;
        }
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        dataSource.close();
        closeQuietly(embedded);
    }

    private static void closeQuietly(EmbeddedDatabase embedded) {
        if (embedded != null) {
            try {
                embedded.close();
            } catch (Exception ignored) {
                // the command is ending anyway
            }
        }
    }
}
