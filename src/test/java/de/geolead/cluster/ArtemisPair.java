package de.geolead.cluster;

import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * An Apache Artemis primary/backup pair with a shared store, made from the official distribution that
 * {@code mvn -Pcluster} unpacks into {@code target/} ({@code artemis create --shared-store --clustered
 * --failover-on-shutdown}), on loopback ports, with a login. Each broker runs as its own JVM
 * ({@code bin/artemis run}); {@link #killPrimary()} is a {@code kill -9} of the primary's JVM.
 */
public final class ArtemisPair implements AutoCloseable {

    public static final String USER = "geolead";
    public static final String PASSWORD = "geolead-broker-secret";

    /** Where the distribution was unpacked (system property set by the cluster profile). */
    static Path artemisHome() {
        String home = System.getProperty("geolead.artemis.home");
        if (home == null) {
            throw new IllegalStateException("system property geolead.artemis.home is not set: run with mvn -B -Pcluster verify");
        }
        return Path.of(home);
    }

    /**
     * The broker files the project ships for an external pair (deploy/artemis/primary|backup/broker.xml), if this
     * checkout has them: they then replace the generated etc/broker.xml, configured through system properties.
     */
    static Path shippedBrokerXml(String role) {
        Path file = Path.of(System.getProperty("geolead.project.dir", ".")).resolve("deploy/artemis").resolve(role).resolve("broker.xml");
        return Files.isRegularFile(file) ? file : null;
    }

    /** Whether the pair runs on the project's shipped broker files (else on what artemis create generated). */
    public static boolean usesShippedFiles() {
        return shippedBrokerXml("primary") != null && shippedBrokerXml("backup") != null;
    }

    private final Path dir;
    private final Broker primary;
    private final Broker backup;

    private ArtemisPair(Path dir, Broker primary, Broker backup) {
        this.dir = dir;
        this.primary = primary;
        this.backup = backup;
    }

    /** One broker of the pair: its instance folder, port, JVM and log. */
    static final class Broker {
        final String name;
        final Path instance;
        final int port;
        final Path log;
        final String javaArgsAppend;
        Process process;

        Broker(String name, Path instance, int port, Path log, String javaArgsAppend) {
            this.name = name;
            this.instance = instance;
            this.port = port;
            this.log = log;
            this.javaArgsAppend = javaArgsAppend;
        }

        String logText() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void start() throws IOException {
            ProcessBuilder builder = new ProcessBuilder("sh", instance.resolve("bin/artemis").toString(), "run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().put("JAVA_ARGS_APPEND", javaArgsAppend);
            process = builder.start();
        }

        void kill() {
            if (process == null) {
                return;
            }
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.add(process.toHandle());
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle handle : all) {
                try {
                    handle.onExit().get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(name + " did not die", e);
                }
            }
        }
    }

    /**
     * Creates both instances under {@code dir} (the shared store in {@code dir/shared}), starts them and waits until
     * the primary accepts connections and the backup has announced itself to it.
     */
    public static ArtemisPair start(Path dir) {
        try {
            Files.createDirectories(dir);
            int primaryPort = RunningApp.freePort();
            int backupPort = RunningApp.freePort();
            Path shared = dir.resolve("shared");
            Broker primary = new Broker("primary", dir.resolve("primary"), primaryPort, dir.resolve("primary.log"),
                    shippedFileProperties(shared, primaryPort, backupPort));
            Broker backup = new Broker("backup", dir.resolve("backup"), backupPort, dir.resolve("backup.log"),
                    shippedFileProperties(shared, backupPort, primaryPort));
            create(primary, false, shared, backupPort);
            create(backup, true, shared, primaryPort);
            ArtemisPair pair = new ArtemisPair(dir, primary, backup);
            Runtime.getRuntime().addShutdownHook(new Thread(pair::close));
            primary.start();
            // the backup only takes the backup lock once the primary holds the primary lock
            await("primary broker accepting").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> accepts(primaryPort) && primary.logText().contains("AMQ221007"));
            backup.start();
            await("backup broker announced").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> backup.logText().contains("AMQ221031"));
            return pair;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            System.out.println(LogCapture.tail(dir.resolve("primary.log")) + "\n" + LogCapture.tail(dir.resolve("backup.log")));
            throw e;
        }
    }

    private static void create(Broker broker, boolean isBackup, Path shared, int otherPort) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", artemisHome().resolve("bin/artemis").toString(), "create",
                broker.instance.toString(), "--silent", "--require-login", "--user", USER, "--password", PASSWORD,
                "--host", "127.0.0.1", "--default-port", Integer.toString(broker.port), "--no-web",
                "--java-memory", "256M", "--shared-store", "--clustered", "--failover-on-shutdown",
                "--data", shared.toString(), "--staticCluster", "tcp://127.0.0.1:" + otherPort,
                "--cluster-user", "cluster", "--cluster-password", PASSWORD,
                "--no-amqp-acceptor", "--no-mqtt-acceptor", "--no-stomp-acceptor", "--no-hornetq-acceptor", "--no-autotune"));
        if (isBackup) {
            command.add("--backup");
        }
        Process create = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(broker.log.toFile())).start();
        try {
            if (!create.waitFor(120, TimeUnit.SECONDS) || create.exitValue() != 0) {
                throw new IllegalStateException("artemis create " + broker.name + " failed:\n" + broker.logText());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (usesShippedFiles()) {
            Files.copy(shippedBrokerXml(broker.name), broker.instance.resolve("etc/broker.xml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // the generated profile says -Xms512M, which a JVM with -Xmx256M refuses
        Path profile = broker.instance.resolve("etc/artemis.profile");
        Files.writeString(profile, Files.readString(profile).replace("-Xms512M", "-Xms64M"));
    }

    /** The system properties the shipped broker files read (ignored by generated ones). */
    private static String shippedFileProperties(Path shared, int port, int peerPort) {
        return "-Dgeolead.artemis.data=" + shared + " -Dgeolead.artemis.host=127.0.0.1 -Dgeolead.artemis.port=" + port
                + " -Dgeolead.artemis.self=tcp://127.0.0.1:" + port + " -Dgeolead.artemis.peer=tcp://127.0.0.1:" + peerPort
                + " -Dgeolead.artemis.cluster.password=" + PASSWORD;
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The client URL Geolead gets: both brokers, reconnecting for ever, no prefetch. */
    public String failoverUrl() {
        return "(tcp://127.0.0.1:" + primary.port + ",tcp://127.0.0.1:" + backup.port + ")?ha=true&reconnectAttempts=-1"
                + "&retryInterval=500&retryIntervalMultiplier=1.5&maxRetryInterval=10000&consumerWindowSize=0";
    }

    /** {@code kill -9} of the primary broker's JVM; returns when it is gone. */
    public Instant killPrimary() {
        Instant killed = Instant.now();
        primary.kill();
        return killed;
    }

    /** Waits until the backup has taken over (its log says it is active) and returns when it noticed, as seen here. */
    public Instant awaitBackupActive(Duration atMost) {
        await("backup broker active").atMost(atMost).pollInterval(Duration.ofMillis(50))
                .until(() -> backup.logText().contains("AMQ221010") && accepts(backup.port));
        return Instant.now();
    }

    /** When the backup became active, by its own log line (AMQ221010 "Backup Server is now active"). */
    public Instant backupActivatedAt() {
        for (String line : backup.logText().lines().toList()) {
            if (line.contains("AMQ221010")) {
                return java.time.LocalDateTime.parse(line.substring(0, 23), java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS"))
                        .atZone(java.time.ZoneId.systemDefault()).toInstant();
            }
        }
        throw new IllegalStateException("the backup broker is not active");
    }

    public String logs() {
        return "---- primary broker log (tail) ----\n" + LogCapture.tail(primary.log) + "\n---- backup broker log (tail) ----\n" + LogCapture.tail(backup.log);
    }

    @Override
    public void close() {
        backup.kill();
        primary.kill();
    }

    public Path dir() {
        return dir;
    }
}
