package de.geolead.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The benchmark harness's one output: each stage prints one line
 * {@code BENCHMARK <stage>: geolead X/s, raw Y/s, ratio R, p50 …, p99 …[, note]} and the same row lands in
 * {@code target/benchmarks.md}, a table rebuilt from every stage measured so far ({@code target/benchmarks/*.row},
 * one file per stage, so the table survives one benchmark being run on its own with {@code -Dtest=…}).
 */
public final class Report {

    static final Path DIR = Path.of("target", "benchmarks");
    static final Path TABLE = Path.of("target", "benchmarks.md");

    private Report() {
    }

    /**
     * One stage's result. {@code raw} is the baseline doing the same work without Camel on the same data in the same
     * run ({@code NaN} where a stage has no baseline); latencies may be null; {@code target} says what the issue asks.
     */
    public record Row(String stage, double geolead, double raw, String unit, Latency latency, String target, String note) {

        public double ratio() {
            return Double.isNaN(raw) || raw == 0 ? Double.NaN : geolead / raw;
        }

        /** The line printed to the console. */
        public String line() {
            StringBuilder line = new StringBuilder("BENCHMARK ").append(stage).append(": geolead ").append(rate(geolead)).append(unit);
            if (!Double.isNaN(raw)) {
                line.append(", raw ").append(rate(raw)).append(unit).append(", ratio ").append(String.format(Locale.ROOT, "%.2f", ratio()));
            }
            if (latency != null) {
                line.append(", p50 ").append(ms(latency.p50Ms())).append(" ms, p99 ").append(ms(latency.p99Ms())).append(" ms");
            }
            if (note != null && !note.isBlank()) {
                line.append(", ").append(note);
            }
            return line.toString();
        }

        String tableRow() {
            return "| " + stage + " | " + rate(geolead) + unit + " | " + (Double.isNaN(raw) ? "–" : rate(raw) + unit)
                    + " | " + (Double.isNaN(ratio()) ? "–" : String.format(Locale.ROOT, "%.2f", ratio()))
                    + " | " + (latency == null ? "–" : ms(latency.p50Ms())) + " | " + (latency == null ? "–" : ms(latency.p99Ms()))
                    + " | " + (target == null ? "" : target) + " | " + (note == null ? "" : note.replace("|", "/")) + " |";
        }
    }

    /** Prints the row's line and rewrites {@code target/benchmarks.md} with it. */
    public static synchronized Row add(Row row) {
        System.out.println(row.line());
        try {
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve(row.stage().replaceAll("[^A-Za-z0-9._-]", "_") + ".row"), row.tableRow(), StandardCharsets.UTF_8);
            writeTable();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return row;
    }

    private static void writeTable() throws IOException {
        List<String> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".row")).sorted().toList()) {
                rows.add(Files.readString(file, StandardCharsets.UTF_8).strip());
            }
        }
        String table = "# Geolead benchmarks\n\n"
                + "Written by `mvn -B -Pbenchmark test` (" + java.time.Instant.now() + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs). Ratio = Geolead / raw baseline measured in the same run on the same data; see README, \"Benchmarks\".\n\n"
                + "| Stage | Geolead | Raw | Ratio | p50 ms | p99 ms | Target | Note |\n"
                + "|---|---|---|---|---|---|---|---|\n"
                + String.join("\n", rows) + "\n";
        Files.writeString(TABLE, table, StandardCharsets.UTF_8);
    }

    static String rate(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }

    static String ms(double value) {
        return value >= 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.2f", value);
    }
}
