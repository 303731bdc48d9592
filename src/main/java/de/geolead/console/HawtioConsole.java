package de.geolead.console;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.FileUtil;
import org.eclipse.jetty.ee10.webapp.WebAppClassLoader;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Hawtio console in this JVM, on its own port: a Jetty server with the Hawtio war at {@code /hawtio}.
 * Users log in through {@link PropertiesLoginModule}; MBean access goes through the read-only Jolokia policy
 * {@code jolokia-access.xml}, or {@code jolokia-access-admin.xml} (routes may be started and stopped) when
 * {@code GEOLEAD_CONSOLE_ADMIN_WRITE=true}.
 * <p>
 * A service of the Camel context: started when the context starts, stopped while it stops. The console never
 * takes the application down: without users file it stays off with one warning, and a war that is missing or
 * does not start gives one error line.
 */
public final class HawtioConsole extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(HawtioConsole.class);
    /** The JAAS entry Hawtio logs in with ({@code hawtio.realm}). */
    static final String REALM = "hawtio";
    private static final String HOW_TO_ADD_A_USER = "add a line per user made with: java -cp 'geolead.jar:lib/*' "
            + ConsoleUsers.class.getName() + " <user> <password> viewer";

    private final String bind;
    private final int port;
    private final Path usersFile;
    private final Path war;
    private final boolean adminWrite;
    private Server server;
    private final Map<String, String> previousProperties = new LinkedHashMap<>();
    private Path workDir;
    private ConsoleRealm realm;

    /**
     * @param usersFile the users file; null = no console
     * @param adminWrite whether console users may start, stop, suspend and resume routes
     */
    public HawtioConsole(String bind, int port, Path usersFile, Path war, boolean adminWrite) {
        this.bind = bind;
        this.port = port;
        this.usersFile = usersFile;
        this.war = war;
        this.adminWrite = adminWrite;
    }

    public static HawtioConsole of(ConsoleSettings settings) {
        return new HawtioConsole(settings.bind(), settings.port(), settings.usersFile(),
                settings.war() == null ? defaultWar() : settings.war(), settings.adminWrite());
    }

    /** {@code hawtio/hawtio.war} beside geolead.jar, or beside target/classes when run from the build. */
    static Path defaultWar() {
        try {
            Path codeSource = Path.of(HawtioConsole.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return codeSource.getParent().resolve("hawtio").resolve("hawtio.war");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void doStart() {
        if (usersFile == null) {
            LOG.warn("Hawtio console is NOT started: set GEOLEAD_CONSOLE_USERS_FILE to a users file ({})", HOW_TO_ADD_A_USER);
            return;
        }
        if (!Files.isRegularFile(usersFile)) {
            LOG.warn("Hawtio console is NOT started: the users file {} (GEOLEAD_CONSOLE_USERS_FILE) does not exist ({})",
                    usersFile.toAbsolutePath(), HOW_TO_ADD_A_USER);
            return;
        }
        if (!Files.isRegularFile(war)) {
            LOG.error("Hawtio console is NOT started: there is no Hawtio war at {} (GEOLEAD_CONSOLE_WAR; the build puts it"
                    + " in target/hawtio/hawtio.war)", war.toAbsolutePath());
            return;
        }
        try {
            workDir = Files.createTempDirectory("geolead-console-");
            configureHawtio(copyResource(adminWrite ? "jolokia-access-admin.xml" : "jolokia-access.xml"));
            server = newServer();
            server.start();
            LOG.info("Hawtio console started at http://{}:{}/hawtio/ ({}; users from {})", bind, port,
                    adminWrite ? "routes may be started and stopped" : "read-only", usersFile.toAbsolutePath());
        } catch (Exception e) {
            LOG.error("Hawtio console is NOT started: {} (war {})", e, war.toAbsolutePath());
            LOG.debug("Hawtio console start failure", e);
            release();
        }
    }

    @Override
    protected void doStop() {
        if (server != null) {
            release();
            LOG.info("Hawtio console stopped");
        }
    }

    /** Stops Jetty if it runs, puts the JAAS configuration back and removes the work folder. */
    private void release() {
        try {
            if (server != null) {
                server.stop();
            }
        } catch (Exception e) {
            LOG.warn("Hawtio console did not stop cleanly: {}", e.toString());
        } finally {
            server = null;
            if (realm != null) {
                Configuration.setConfiguration(realm.others);
                realm = null;
            }
            previousProperties.forEach((key, value) -> {
                if (value == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, value);
                }
            });
            previousProperties.clear();
            if (workDir != null) {
                FileUtil.removeDir(workDir.toFile());
                workDir = null;
            }
        }
    }

    /** Hawtio reads its settings from system properties, and JAAS its realms from the JVM-wide configuration. */
    private void configureHawtio(Path jolokiaPolicy) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("hawtio.authenticationEnabled", "true");
        properties.put("hawtio.realm", REALM);
        properties.put("hawtio.roles", "admin,viewer");
        properties.put("hawtio.rolePrincipalClasses", RolePrincipal.class.getName());
        // no Connect tab: the console only looks at this JVM and cannot be used to reach other hosts
        properties.put("hawtio.disableProxy", "true");
        properties.put("hawtio.sessionTimeout", "900");
        properties.put("jolokia.policyLocation", jolokiaPolicy.toUri().toString());
        // remembered, and put back on stop: another Camel context in this JVM (tests) must not inherit
        // a policy file that no longer exists
        properties.forEach((key, value) -> previousProperties.put(key, System.setProperty(key, value)));

        realm = new ConsoleRealm(currentLoginConfiguration(), usersFile);
        Configuration.setConfiguration(realm);
    }

    private Server newServer() throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("hawtio");
        Server jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(bind);
        connector.setPort(port);
        jetty.addConnector(connector);

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/hawtio");
        webapp.setWar(war.toAbsolutePath().toString());
        webapp.setTempDirectory(Files.createDirectories(workDir.resolve("webapp")).toFile());
        webapp.setThrowUnavailableOnStartupException(true);
        webapp.setClassLoader(new WebAppClassLoader(new IsolatingClassLoader(HawtioConsole.class.getClassLoader()), webapp));
        jetty.setHandler(webapp);
        return jetty;
    }

    private Path copyResource(String name) throws IOException {
        Path target = workDir.resolve(name);
        try (InputStream in = HawtioConsole.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IOException(name + " is missing from the application");
            }
            Files.copy(in, target);
        }
        return target;
    }

    private static Configuration currentLoginConfiguration() {
        try {
            return Configuration.getConfiguration();
        } catch (SecurityException e) {
            // no JAAS configuration file anywhere: there is nothing to keep
            return null;
        }
    }

    /** The JAAS configuration with Hawtio's realm; every other name is answered by the configuration found before. */
    private static final class ConsoleRealm extends Configuration {

        private final Configuration others;
        private final AppConfigurationEntry[] entries;

        ConsoleRealm(Configuration others, Path usersFile) {
            this.others = others;
            this.entries = new AppConfigurationEntry[] {new AppConfigurationEntry(PropertiesLoginModule.class.getName(),
                    AppConfigurationEntry.LoginModuleControlFlag.REQUIRED,
                    Map.of(PropertiesLoginModule.FILE_OPTION, usersFile.toAbsolutePath().toString()))};
        }

        @Override
        public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
            if (REALM.equals(name)) {
                return entries.clone();
            }
            return others == null ? null : others.getAppConfigurationEntry(name);
        }
    }
}
