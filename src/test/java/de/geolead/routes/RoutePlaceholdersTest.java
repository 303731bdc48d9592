package de.geolead.routes;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code {{…}}} a route uses is declared in src/main/resources/application.properties, where a reader of the
 * route finds what it means and which environment variable sets it (values Geolead computes at start-up are
 * declared there too, with a comment). The route files are read when the test runs: a placeholder added tomorrow
 * is checked as well.
 */
@Tag("routes")
class RoutePlaceholdersTest {

    static final Path PROPERTIES = Path.of("src/main/resources/application.properties");
    /** {{key}}, {{key:default}}, {{?key}}; {{env:X}} and {{sys:x}} read the environment, not a key. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\??([^{}:]+)(?::[^{}]*)?}}");
    /** ${properties:key} and ${properties:key:default} in simple expressions, read at run time. */
    private static final Pattern PROPERTIES_FUNCTION = Pattern.compile("\\$\\{properties:([^:{}]+)(?::[^{}]*)?}");
    private static final Set<String> FUNCTIONS = Set.of("env", "sys", "sysenv", "bean", "ref");

    @Test
    void everyPlaceholderOfTheRoutesIsDeclaredInApplicationProperties() {
        Properties declared = load(PROPERTIES);
        List<String> undeclared = new ArrayList<>();
        List<Path> files = RouteFileCheck.routeFiles();
        assertThat(files).isNotEmpty();
        files.forEach(file -> undeclared.addAll(undeclared(file, declared)));
        assertThat(undeclared).as("placeholders not declared in %s:%n%s", PROPERTIES, String.join("\n", undeclared)).isEmpty();
    }

    @Test
    void anUndeclaredPlaceholderIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("new.camel.yaml"), """
                # {{only.in.a.comment}} is no use
                - route:
                    id: new
                    autoStartup: "{{geolead.import.enabled}}"
                    from:
                      uri: "quartz:new?cron={{geolead.new.cron}}"
                      steps:
                        - to: "{{?geolead.optional.endpoint:log:x}}"
                        - to: "{{env:NOT_A_KEY}}"
                        - setHeader:
                            name: Authorization
                            simple: "Bearer ${properties:geolead.new.token}"
                """);
        assertThat(undeclared(file, load(PROPERTIES))).containsExactly(
                file + ":6: {{geolead.new.cron}}",
                file + ":8: {{geolead.optional.endpoint}}",
                file + ":12: ${properties:geolead.new.token}");
    }

    /** A key declared twice: the later line silently wins and the reader of the earlier one is misled. */
    @Test
    void everyKeyOfApplicationPropertiesIsDeclaredOnce() throws IOException {
        java.util.Map<String, Integer> firstLine = new java.util.HashMap<>();
        List<String> twice = new ArrayList<>();
        List<String> lines = Files.readAllLines(PROPERTIES);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || !line.contains("=")) {
                continue;
            }
            String key = line.substring(0, line.indexOf('=')).strip();
            Integer earlier = firstLine.putIfAbsent(key, i + 1);
            if (earlier != null) {
                twice.add(PROPERTIES + ":" + (i + 1) + ": " + key + " (first declared on line " + earlier + ")");
            }
        }
        assertThat(twice).as("keys declared more than once:%n%s", String.join("\n", twice)).isEmpty();
    }

    /** "file:line: {{key}}" for each placeholder of {@code file} that {@code declared} lacks; comments are skipped. */
    static List<String> undeclared(Path file, Properties declared) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> undeclared = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.stripLeading().startsWith("#")) {
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(line);
            while (m.find()) {
                String key = m.group(1).trim();
                boolean function = m.group(0).length() > key.length() + 4 && FUNCTIONS.contains(key);
                if (!function && !declared.containsKey(key)) {
                    undeclared.add(file + ":" + (i + 1) + ": {{" + key + "}}");
                }
            }
            Matcher p = PROPERTIES_FUNCTION.matcher(line);
            while (p.find()) {
                String key = p.group(1).trim();
                if (!declared.containsKey(key)) {
                    undeclared.add(file + ":" + (i + 1) + ": ${properties:" + key + "}");
                }
            }
        }
        return undeclared;
    }

    static Properties load(Path file) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }
}
