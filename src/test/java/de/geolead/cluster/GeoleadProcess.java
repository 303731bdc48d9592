package de.geolead.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.testing.RunningApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * One Geolead instance as production runs it: {@code java -jar target/geolead.jar} ({@link #start(String, Map)}, the
 * cluster tests) or {@code java -cp <this JVM's class path> de.geolead.launcher.Launcher} ({@link #fromClassPath}, the
 * benchmarks, which run without packaging) in its own JVM, configured only through environment variables, with its own
 * data folder, HTTP and management ports, and its output in a log file under {@code target/cluster-logs/} (jar) or
 * {@code target/process-logs/} (class path). {@link #kill()} is a {@code kill -9}, {@link #stop()} a graceful stop
 * (SIGTERM, Camel's shutdown); {@link #startedIn()} is how long the last start took until ready, and
 * {@link #heapAfterFullGc()} the heap in use after a full GC ({@code jcmd}).
 */
public final class GeoleadProcess implements AutoCloseable {

    /** The management login every instance shares (GEOLEAD_MANAGEMENT_USERS_FILE). */
    static final String MANAGEMENT_USER = "ops";
    static final String MANAGEMENT_PASSWORD = "cluster-test-ops";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.atomic.AtomicInteger STARTS = new java.util.concurrent.atomic.AtomicInteger();

    private final String name;
    private final Map<String, String> env;
    /** The command up to the environment: java, JVM options, then -jar or -cp and the main class. */
    private final List<String> command;
    private final Path logDir;
    private final int httpPort;
    private final int managementPort;
    private Process process;
    private Path log;
    private Duration startedIn;
    private long starting;
    private Duration cpuAtReady;
    /** Quartz's instance name of the running JVM, once known (see {@link ClusterIT}). */
    String quartzInstance;

    private GeoleadProcess(String name, Map<String, String> env, List<String> command, Path logDir) {
        this.name = name;
        this.command = List.copyOf(command);
        this.logDir = logDir;
        this.httpPort = RunningApp.freePort();
        this.managementPort = RunningApp.freePort();
        this.env = new LinkedHashMap<>(env);
        this.env.put("GEOLEAD_HTTP_PORT", Integer.toString(httpPort));
        this.env.put("GEOLEAD_HTTP_BIND", "127.0.0.1");
        this.env.put("GEOLEAD_MANAGEMENT_PORT", Integer.toString(managementPort));
        this.env.put("GEOLEAD_MANAGEMENT_BIND", "127.0.0.1");
        this.env.put("GEOLEAD_INSTANCE_ID", quartzId());
    }

    /** This instance's name in the cluster (GEOLEAD_INSTANCE_ID: Quartz's instance id). */
    String quartzId() {
        return "geolead-" + name;
    }

    /** The packaged application (system property set by the cluster profile). */
    static Path jar() {
        String jar = System.getProperty("geolead.jar");
        if (jar == null) {
            throw new IllegalStateException("system property geolead.jar is not set: run with mvn -B -Pcluster verify");
        }
        return Path.of(jar);
    }

    static Path logDir() {
        return jar().getParent().resolve("cluster-logs");
    }

    /** A shared management users file (one login for every instance) in {@code dir}. */
    public static Path managementUsersFile(Path dir) {
        try {
            Path file = dir.resolve("management-users.properties");
            Files.writeString(file, "user." + MANAGEMENT_USER + " = " + MANAGEMENT_PASSWORD + ",operator\nrole.operator = *\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts an instance named {@code name} with {@code env} (plus its own ports) and waits until it is ready. */
    public static GeoleadProcess start(String name, Map<String, String> env) {
        GeoleadProcess instance = new GeoleadProcess(name, env, List.of(java(), "-Xmx512m", "-jar", jar().toString()), logDir());
        instance.start();
        return instance;
    }

    /**
     * An instance named {@code name} run from this JVM's class path (target/classes, target/test-classes and the
     * dependencies, as Maven runs the tests) with the jar's main class, {@code jvmOptions} and {@code env} (plus its own
     * ports); not started yet. Give it GEOLEAD_MANAGEMENT_USERS_FILE = {@link #managementUsersFile} so that it can be
     * asked whether it is ready.
     */
    public static GeoleadProcess fromClassPath(String name, Map<String, String> env, List<String> jvmOptions) {
        return child(name, env, jvmOptions, "-cp", System.getProperty("java.class.path"), "de.geolead.launcher.Launcher");
    }

    /**
     * Like {@link #fromClassPath}, but from the packaged jar ({@code java -jar <jar>}) when the system property
     * {@code geolead.jar} names one that exists (as production starts it: fewer jars to search than the test class path).
     */
    public static GeoleadProcess fromJarOrClassPath(String name, Map<String, String> env, List<String> jvmOptions) {
        Path jar = packagedJar();
        if (jar == null) {
            return fromClassPath(name, env, jvmOptions);
        }
        return child(name, env, jvmOptions, "-jar", jar.toAbsolutePath().toString());
    }

    /** {@code java <jvmOptions> <what to run>}, its log under target/process-logs; not started yet. */
    private static GeoleadProcess child(String name, Map<String, String> env, List<String> jvmOptions, String... run) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmOptions);
        command.addAll(List.of(run));
        return new GeoleadProcess(name, env, command, Path.of("target", "process-logs").toAbsolutePath());
    }

    /** The jar the system property {@code geolead.jar} names, or null when it is not set or not there. */
    public static Path packagedJar() {
        String jar = System.getProperty("geolead.jar");
        return jar == null || !Files.isRegularFile(Path.of(jar)) ? null : Path.of(jar);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Starts this instance (again: same ports, same data folder, a new log file) and waits until it is ready. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        try {
            Files.createDirectories(logDir);
            log = logDir.resolve(String.format("geolead-%s-%02d.log", name, STARTS.incrementAndGet()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(Path.of(env.get("GEOLEAD_DATA_DIR")).toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(key -> key.startsWith("GEOLEAD_") || key.startsWith("DIALFIRE_")
                    || key.startsWith("SMTP_") || key.startsWith("STRIPE_"));
            builder.environment().putAll(env);
            starting = System.nanoTime();
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            await(name + " ready").atMost(Duration.ofSeconds(120)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(this::ready);
            startedIn = Duration.ofNanos(System.nanoTime() - starting);
            cpuAtReady = process.info().totalCpuDuration().orElse(null);
        } catch (RuntimeException | Error e) {
            System.out.println(logTail());
            throw e;
        }
    }

    /**
     * Ready as the readiness probe says; the import's freshness check alone may be DOWN while another instance's
     * import is being taken over, which says nothing about this instance.
     */
    private boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "\n" + logTail());
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + managementPort + "/observe/health/ready?exposureLevel=full"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (MANAGEMENT_USER + ":" + MANAGEMENT_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                return true;
            }
            if (response.statusCode() != 503) {
                return false;
            }
            JsonNode checks = JSON.readTree(response.body()).path("checks");
            if (!checks.isArray() || checks.isEmpty()) {
                return false;
            }
            for (JsonNode check : checks) {
                if (!"UP".equals(check.path("status").asText()) && !"geolead-dialfire-import".equals(check.path("name").asText())) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code kill -9} of the JVM; returns when it is gone. */
    public synchronized void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(20));
    }

    /** A graceful stop (SIGTERM: Camel finishes what is in flight and shuts down); returns when the JVM is gone. */
    public synchronized void stop() {
        process.destroy();
        waitForExit(Duration.ofSeconds(60));
    }

    private void waitForExit(Duration atMost) {
        try {
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
                throw new IllegalStateException(name + " did not stop within " + atMost + "\n" + logTail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** From starting the JVM (process start) to the first ready answer, of the last start. */
    public Duration startedIn() {
        return startedIn;
    }

    /** The CPU time (all threads: JIT, GC, …) the JVM had used when it was first ready, of the last start; null if unknown. */
    public Duration cpuAtReady() {
        return cpuAtReady;
    }

    public long pid() {
        return process.pid();
    }

    /** The running JVM's {@code jcmd} answer to {@code command} (e.g. GC.class_histogram). */
    public String jcmd(String... command) {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid())));
        line.addAll(List.of(command));
        try {
            Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
            String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (jcmd.waitFor() != 0) {
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Heap in use right after a full GC, in bytes, as {@code jcmd GC.run} then {@code GC.heap_info} report it ("used" of
     * the heap, summed over the generations of a generational heap; Metaspace is not heap). Under load this includes
     * what was allocated between the two commands; {@link #liveHeap()} does not.
     */
    public long heapAfterFullGc() {
        jcmd("GC.run");
        long usedKb = 0;
        for (String line : jcmd("GC.heap_info").lines().toList()) {
            Matcher m = HEAP_USED.matcher(line);
            if (m.find() && !line.contains("Metaspace") && !line.contains("class space")) {
                usedKb += Long.parseLong(m.group(1));
            }
        }
        return usedKb * 1024;
    }

    /** The live heap: {@code jcmd GC.class_histogram} (a full GC, then every live object counted) and its total in bytes. */
    public record LiveHeap(long bytes, String histogram) {
    }

    public LiveHeap liveHeap() {
        String histogram = jcmd("GC.class_histogram");
        Matcher total = HISTOGRAM_TOTAL.matcher(histogram);
        if (!total.find()) {
            throw new IllegalStateException("no total in the class histogram: " + histogram.substring(0, Math.min(300, histogram.length())));
        }
        return new LiveHeap(Long.parseLong(total.group(1)), histogram);
    }

    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)");
    private static final Pattern HEAP_USED = Pattern.compile("\\bused (\\d+)K");

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public int managementPort() {
        return managementPort;
    }

    /** The log of the current (or last) run of this instance. */
    public String logText() {
        try {
            return log == null || !Files.exists(log) ? "" : Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every log file this instance wrote in this JVM (all its runs), concatenated. */
    public List<String> allLogLines() {
        List<String> lines = new ArrayList<>();
        try (var files = Files.list(logDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("geolead-" + name + "-")).sorted().toList()) {
                lines.addAll(Files.readAllLines(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** The lines of every run of this instance that match {@code pattern}'s first group, e.g. the distribution ids sent. */
    public List<String> matches(Pattern pattern) {
        List<String> found = new ArrayList<>();
        for (String line : allLogLines()) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                found.add(m.groupCount() > 0 ? m.group(1) : line);
            }
        }
        return found;
    }

    public String logTail() {
        List<String> lines = logText().lines().toList();
        return "---- " + name + " (" + log + ", last 80 lines) ----\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
