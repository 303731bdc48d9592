package de.geolead;

import de.geolead.config.GeoleadConfiguration;
import de.geolead.config.SettingError;
import de.geolead.config.ManagementUsers;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

/**
 * Starts Geolead: Camel Main with the YAML routes and the wiring in {@link GeoleadConfiguration}.
 * Routes come from the jar; in dev mode ({@code GEOLEAD_DEV_MODE=true}) from the {@code routes/}
 * folder of the working directory, reloaded on every save.
 */
public final class GeoleadApplication {

    private GeoleadApplication() {
    }

    /** A production start; the jar's Main-Class is {@code de.geolead.launcher.Launcher}, which also knows {@code sandbox}. */
    public static void main(String[] args) {
        try {
            newMain(Boolean.parseBoolean(System.getenv("GEOLEAD_DEV_MODE")) ? Path.of("routes") : null).run(args);
        } catch (Exception e) {
            SettingError setting = SettingError.in(e);
            if (setting != null) {
                LoggerFactory.getLogger(GeoleadApplication.class).error("Geolead failed to start: {}", setting.getMessage());
            } else {
                LoggerFactory.getLogger(GeoleadApplication.class).error("Geolead failed to start: {}", e.getMessage(), e);
            }
            // the embedded database and broker must not keep a half-started JVM alive
            System.exit(1);
        }
    }

    /**
     * The application as {@link #main} and the tests start it.
     *
     * @param devRoutesDirectory load the routes from this folder and reload them when they change; null = from the jar
     */
    public static Main newMain(Path devRoutesDirectory) {
        Main main = new Main();
        main.configure().addConfiguration(GeoleadConfiguration.class);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeInitialize(BaseMainSupport m) {
                // application.properties names each environment variable explicitly ({{env:GEOLEAD_DB_URL:}}).
                // Camel's default would also let GEOLEAD_DB_URL silently override the key geolead.db.url
                // above everything else, explicit overrides included; use the environment only as a fallback.
                PropertiesComponent properties = (PropertiesComponent) m.getCamelContext().getPropertiesComponent();
                properties.setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_FALLBACK);
                // the management port's logins must exist before Camel sets up that server
                Path dataDir = Path.of(properties.resolveProperty("geolead.data.dir").orElse("./data"));
                properties.addOverrideProperty("geolead.management.users.file", ManagementUsers.usersFile(
                        properties.resolveProperty("geolead.management.users.file").orElse(""), dataDir,
                        properties.resolveProperty("geolead.db.url").orElse("")).toString());
            }
        });
        if (devRoutesDirectory != null) {
            devModeProperties(devRoutesDirectory).forEach(main::addOverrideProperty);
        }
        return main;
    }

    static Map<String, String> devModeProperties(Path routesDirectory) {
        String dir = routesDirectory.toAbsolutePath().normalize().toString();
        return Map.of(
                "camel.main.routes-include-pattern", "file:" + dir + "/*.camel.yaml",
                "camel.main.routes-reload-enabled", "true",
                "camel.main.routes-reload-directory", dir,
                // reload only the routes of the file that changed; the others keep running undisturbed
                "camel.main.routes-reload-remove-all-routes", "false",
                "geolead.dev.mode", "true");
    }
}
