package de.geolead.benchmark;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the CPU goes during one measured phase: with {@code -Dbench.profile=true} a JFR recording (execution samples
 * every 10 ms, the JDK's own profiler) runs while the phase runs; on close it is kept as
 * {@code target/benchmarks/<name>.jfr} (open it with {@code jfr print} or JDK Mission Control) and summarised into
 * {@code target/benchmarks/profile-<name>.txt}: the busiest threads, the top frames by own time and the methods of
 * our libraries by inclusive time. Without the property it does nothing, so measured runs carry no profiler.
 */
public final class Profile implements AutoCloseable {

    private static final int TOP = 25;

    private final String name;
    private final Recording recording;

    private Profile(String name, Recording recording) {
        this.name = name;
        this.recording = recording;
    }

    public static boolean enabled() {
        return Boolean.getBoolean("bench.profile");
    }

    /** Starts profiling the phase {@code name} when {@code -Dbench.profile=true}. */
    public static Profile start(String name) {
        if (!enabled()) {
            return new Profile(name, null);
        }
        Recording recording = new Recording();
        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
        recording.start();
        return new Profile(name, recording);
    }

    @Override
    public void close() {
        if (recording == null) {
            return;
        }
        try (recording) {
            recording.stop();
            Files.createDirectories(Report.DIR);
            Path file = Report.DIR.resolve(name + ".jfr");
            recording.dump(file);
            String summary = summarise(RecordingFile.readAllEvents(file));
            Files.writeString(Report.DIR.resolve("profile-" + name + ".txt"), summary, StandardCharsets.UTF_8);
            System.out.println("BENCHMARK profile " + name + " (" + file + "):\n" + summary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String summarise(List<RecordedEvent> events) {
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : events) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
                continue;
            }
            samples++;
            String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("\\d+", "#"), 1, Integer::sum);
            List<RecordedFrame> frames = event.getStackTrace().getFrames();
            if (!frames.isEmpty()) {
                self.merge(frame(frames.get(0)), 1, Integer::sum);
            }
            Set<String> seen = new HashSet<>();
            for (RecordedFrame frame : frames) {
                String method = frame(frame);
                if (ours(method) && seen.add(method)) {
                    inclusive.merge(method, 1, Integer::sum);
                }
            }
        }
        return samples + " CPU samples (10 ms)\n"
                + "threads:\n" + top(threads, samples)
                + "own time (top frame):\n" + top(self, samples)
                + "inclusive (our code and libraries):\n" + top(inclusive, samples);
    }

    private static boolean ours(String method) {
        return method.startsWith("de.geolead.") || method.startsWith("org.apache.camel.") || method.startsWith("org.postgresql.")
                || method.startsWith("org.apache.activemq.") || method.startsWith("com.stripe.") || method.startsWith("io.vertx.")
                || method.startsWith("jakarta.mail.") || method.startsWith("org.eclipse.angus.") || method.startsWith("com.zaxxer.")
                || method.startsWith("org.springframework.") || method.startsWith("org.apache.pdfbox.") || method.startsWith("com.icegreen.");
    }

    private static String frame(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static String top(Map<String, Integer> counts, int samples) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(TOP)
                .map(e -> String.format(java.util.Locale.ROOT, "  %5.1f %%  %s", 100.0 * e.getValue() / Math.max(1, samples), e.getKey()))
                .collect(Collectors.joining("\n", "", "\n"));
    }
}
