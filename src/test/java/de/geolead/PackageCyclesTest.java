package de.geolead;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No import cycles between the packages of de.geolead: each package can be read, tested and changed with only the
 * packages below it in mind. Dependencies are the imports and fully-qualified de.geolead references of
 * src/main/java (comments and string literals do not count).
 */
class PackageCyclesTest {

    static final Path SOURCES = Path.of("src/main/java");

    private static final Pattern REFERENCE = Pattern.compile("\\bde\\.geolead(?:\\.[a-z_][a-z0-9_]*)*(?=\\.(?:[A-Z]|\\*))");
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

    @Test
    void thePackagesOfDeGeoleadHaveNoCycles() {
        Map<String, Map<String, Set<String>>> dependencies = dependencies(SOURCES);
        List<String> cycles = cycles(dependencies);
        assertThat(cycles).as("package cycles in %s:%n%s", SOURCES, String.join("\n", cycles)).isEmpty();
    }

    @Test
    void aCycleIsReportedWithTheFilesThatMakeIt(@TempDir Path dir) throws IOException {
        write(dir, "de/geolead/a/A.java", """
                package de.geolead.a;
                // de.geolead.c.C in a comment does not count, nor does "de.geolead.c.C" in a string
                import de.geolead.b.B;
                public class A { B b; }
                """);
        write(dir, "de/geolead/b/B.java", """
                package de.geolead.b;
                public class B { de.geolead.a.A a; }
                """);
        write(dir, "de/geolead/c/C.java", """
                package de.geolead.c;
                import de.geolead.a.*;
                public class C { }
                """);
        assertThat(cycles(dependencies(dir))).containsExactly(
                "de.geolead.a -> de.geolead.b (A.java) -> de.geolead.a (B.java)");
    }

    /** package → package it uses → the files (simple names) that use it. */
    static Map<String, Map<String, Set<String>>> dependencies(Path sources) {
        Map<String, Map<String, Set<String>>> dependencies = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = codeOnly(Files.readString(file));
                Matcher declared = PACKAGE.matcher(code);
                if (!declared.find()) {
                    continue;
                }
                String from = declared.group(1);
                Map<String, Set<String>> uses = dependencies.computeIfAbsent(from, k -> new TreeMap<>());
                Matcher reference = REFERENCE.matcher(code);
                while (reference.find()) {
                    String to = reference.group();
                    if (!to.equals(from)) {
                        uses.computeIfAbsent(to, k -> new TreeSet<>()).add(file.getFileName().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dependencies;
    }

    /** One line per cycle found (one per strongly connected group of packages): a -> b (files) -> a (files). */
    static List<String> cycles(Map<String, Map<String, Set<String>>> dependencies) {
        List<String> cycles = new ArrayList<>();
        Set<String> reported = new TreeSet<>();
        for (String start : new TreeSet<>(dependencies.keySet())) {
            if (reported.contains(start)) {
                continue;
            }
            List<String> path = shortestCycle(start, dependencies);
            if (path != null) {
                reported.addAll(path);
                StringBuilder line = new StringBuilder(start);
                for (int i = 1; i < path.size(); i++) {
                    String from = path.get(i - 1);
                    String to = path.get(i);
                    line.append(" -> ").append(to).append(" (").append(String.join(", ", dependencies.get(from).get(to))).append(')');
                }
                cycles.add(line.toString());
            }
        }
        return cycles;
    }

    /** start, …, start along dependencies (breadth first), or null when no path leads back to start. */
    private static List<String> shortestCycle(String start, Map<String, Map<String, Set<String>>> dependencies) {
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String at = queue.poll();
            for (String next : dependencies.getOrDefault(at, Map.of()).keySet()) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>(List.of(start));
                    for (String p = at; p != null && !p.equals(start); p = cameFrom.get(p)) {
                        path.add(1, p);
                    }
                    path.add(start);
                    return path;
                }
                if (!cameFrom.containsKey(next)) {
                    cameFrom.put(next, at);
                    queue.add(next);
                }
            }
        }
        return null;
    }

    /** The source without comments, string and char literals and text blocks. */
    static String codeOnly(String source) {
        StringBuilder code = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                code.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && source.charAt(i) != c) {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                code.append(c).append(c);
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    private static void write(Path root, String file, String text) throws IOException {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }
}
