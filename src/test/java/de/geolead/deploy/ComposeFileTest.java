package de.geolead.deploy;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml cannot be run here (no Docker engine), so its promises are checked as data:
 * valid YAML, every variable the application reads is wired, every port on 127.0.0.1, health checks and
 * start-up order, and .env.example lists every variable the file uses.
 */
class ComposeFileTest {

    /** Read by the application but deliberately not part of a compose deployment. */
    static final Set<String> NOT_FOR_COMPOSE = Set.of("GEOLEAD_DEV_MODE");

    @SuppressWarnings("unchecked")
    static Map<String, Object> compose() throws Exception {
        Object document = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(Path.of("docker-compose.yml")));
        return (Map<String, Object>) document;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(String name) throws Exception {
        return (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get(name);
    }

    /** Every {@code {{env:NAME…}}} in application.properties: the environment the application reads. */
    static Set<String> variablesTheApplicationReads() throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\{\\{env:([A-Z0-9_]+)").matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyVariableTheApplicationReadsIsWiredIntoTheGeoleadService() throws Exception {
        Map<String, Object> environment = (Map<String, Object>) service("geolead").get("environment");
        Set<String> missing = new TreeSet<>(variablesTheApplicationReads());
        missing.removeAll(environment.keySet());
        missing.removeAll(NOT_FOR_COMPOSE);
        assertThat(variablesTheApplicationReads()).contains("GEOLEAD_DB_URL", "DIALFIRE_CAMPAIGN_TOKEN", "STRIPE_WEBHOOK_SECRET", "SMTP_HOST");
        assertThat(missing).as("variables read by the app but not wired in docker-compose.yml").isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyPublishedPortIsBoundToLoopback() throws Exception {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        for (Map.Entry<String, Object> service : services.entrySet()) {
            List<Object> ports = (List<Object>) ((Map<String, Object>) service.getValue()).getOrDefault("ports", List.of());
            for (Object port : ports) {
                assertThat(port.toString()).as(service.getKey() + " publishes " + port).startsWith("127.0.0.1:");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void servicesHaveHealthChecksAndGeoleadWaitsForThem() throws Exception {
        for (String name : List.of("postgres", "artemis", "geolead")) {
            assertThat(service(name)).as(name).containsKey("healthcheck");
        }
        Map<String, Object> dependsOn = (Map<String, Object>) service("geolead").get("depends_on");
        assertThat(((Map<String, Object>) dependsOn.get("postgres")).get("condition")).isEqualTo("service_healthy");
        assertThat(((Map<String, Object>) dependsOn.get("artemis")).get("condition")).isEqualTo("service_healthy");
        assertThat(dependsOn).containsKey("mailpit");
        assertThat(((Map<String, Object>) compose().get("volumes"))).containsKeys("postgres-data", "artemis-data", "geolead-data");
    }

    @Test
    void envExampleListsEveryVariableTheComposeFileUses() throws Exception {
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("(?<!\\$)\\$\\{([A-Z0-9_]+)").matcher(Files.readString(Path.of("docker-compose.yml")));
        while (m.find()) {
            used.add(m.group(1));
        }
        Set<String> listed = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of(".env.example"))) {
            if (line.matches("[A-Z0-9_]+=.*")) {
                listed.add(line.substring(0, line.indexOf('=')));
            }
        }
        used.removeAll(listed);
        assertThat(used).as("used in docker-compose.yml but missing from .env.example").isEmpty();
    }

    @Test
    void theImageRunsAsNonRootFromAMultiStageBuild() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).contains("AS build", "COPY --from=build", "USER geolead");
        assertThat(dockerfile).containsPattern("FROM eclipse-temurin:17-jre");
    }
}
