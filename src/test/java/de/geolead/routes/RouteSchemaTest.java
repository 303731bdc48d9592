package de.geolead.routes;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Build-time validation of routes/*.camel.yaml (runs in the test phase, so before {@code mvn package} makes a jar):
 * each file against Camel's YAML DSL schema and through Camel's own YAML loader. A typo fails the build with
 * {@code routes/<file>:<line>:<column>: <what>}.
 */
@Tag("routes")
class RouteSchemaTest {

    @Test
    void everyRouteFileMatchesCamelsYamlDslSchema() {
        List<String> problems = new ArrayList<>();
        List<Path> files = RouteFileCheck.routeFiles();
        assertThat(files).as("route files in %s", RouteFileCheck.ROUTES.toAbsolutePath()).isNotEmpty();
        files.forEach(file -> problems.addAll(RouteFileCheck.schemaProblems(file)));
        assertThat(problems).as("schema problems:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void everyRouteFileLoadsWithCamelsYamlLoader() {
        List<String> problems = new ArrayList<>();
        RouteFileCheck.routeFiles().forEach(file -> problems.addAll(RouteFileCheck.camelProblems(file)));
        assertThat(problems).as("Camel refuses:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void aMisspeltStepIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path file = write(dir, """
                - route:
                    id: typo
                    from:
                      uri: direct:typo
                      steps:
                        - setHeadr:
                            name: a
                            constant: b
                """);
        assertThat(String.join("\n", RouteFileCheck.schemaProblems(file))).contains(file + ":6:");
        assertThat(String.join("\n", RouteFileCheck.camelProblems(file))).contains(file + ":6:").contains("setHeadr");
    }

    @Test
    void aMisspeltKeyIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path file = write(dir, """
                - route:
                    id: typo
                    from:
                      uri: direct:typo
                      stepz:
                        - log: hello
                """);
        assertThat(RouteFileCheck.schemaProblems(file)).anySatisfy(problem -> assertThat(problem)
                .startsWith(file + ":5:7:").contains("stepz"));
    }

    @Test
    void aValueOfTheWrongTypeIsReportedWithFileAndLine(@TempDir Path dir) throws IOException {
        Path file = write(dir, """
                - route:
                    id: typo
                    from:
                      uri: direct:typo
                      steps:
                        - log:
                            message: hello
                            loggingLevel:
                              - INFO
                """);
        assertThat(String.join("\n", RouteFileCheck.schemaProblems(file))).contains(file + ":8:");
    }

    @Test
    void anUnknownLanguageAndAMisspeltClassFailInCamelsLoader(@TempDir Path dir) throws IOException {
        Path file = write(dir, """
                - route:
                    id: typo
                    from:
                      uri: direct:typo
                      steps:
                        - setHeader:
                            name: a
                            language:
                              language: simpel
                              expression: "${body}"
                        - setBody:
                            simple:
                              expression: "${body}"
                              resultType: java.lang.Lnog
                        - filter:
                            simple: "${body} == "
                            steps:
                              - log: "${header.a"
                """);
        String problems = String.join("\n", RouteFileCheck.camelProblems(file));
        assertThat(problems).contains(file + ":6: unknown language simpel")
                .contains(file + ":11: no class java.lang.Lnog")
                .contains(file + ":15: simple expression");
        assertThat(problems).contains(file + ":18: log message");
    }

    private static Path write(Path dir, String yaml) throws IOException {
        return Files.writeString(dir.resolve("typo.camel.yaml"), yaml);
    }
}
