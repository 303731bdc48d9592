package de.geolead.deploy;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml cannot be run here (no Docker engine), so its promises are checked as data:
 * valid YAML, every variable the application reads is wired into every Geolead replica, every port on 127.0.0.1,
 * health checks and start-up order, .env.example lists every variable the file uses, and the cluster layout:
 * identical replicas from one definition, one login for all, a failover pair of brokers on one shared store.
 */
class ComposeFileTest {

    /** Read by the application but deliberately not part of a compose deployment. */
    static final Set<String> NOT_FOR_COMPOSE = Set.of("GEOLEAD_DEV_MODE");
    static final List<String> REPLICAS = List.of("geolead-a", "geolead-b");
    /** What a replica may set itself; everything else comes from the one definition {@code x-geolead}. */
    static final Set<String> PER_REPLICA_KEYS = Set.of("<<", "hostname", "environment", "ports", "volumes");
    static final String SHARED_USERS_FILE = "/run/secrets/management-users";
    /** What a replica's environment may set itself: the scheduler's instance name, distinct per replica. */
    static final Set<String> PER_REPLICA_VARIABLES = Set.of("<<", "GEOLEAD_INSTANCE_ID");

    @SuppressWarnings("unchecked")
    static Map<String, Object> compose() throws Exception {
        Object document = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(Path.of("docker-compose.yml")));
        return (Map<String, Object>) document;
    }

    /** A service as Docker Compose sees it: its YAML merge keys ({@code <<: *anchor}) applied. */
    static Map<String, Object> service(String name) throws Exception {
        return merged(rawService(name));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> rawService(String name) throws Exception {
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get(name);
        assertThat(service).as("service " + name).isNotNull();
        return service;
    }

    /** Applies YAML merge keys the way Compose does: the merged map first, the map's own keys over it, nested maps too. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merged(Map<String, Object> map) {
        Map<String, Object> result = new LinkedHashMap<>();
        Object base = map.get("<<");
        if (base instanceof Map<?, ?> one) {
            result.putAll(merged((Map<String, Object>) one));
        } else if (base instanceof List<?> several) {
            for (Object one : several) {
                merged((Map<String, Object>) one).forEach(result::putIfAbsent);
            }
        }
        map.forEach((key, value) -> {
            if (!key.equals("<<")) {
                result.put(key, value instanceof Map<?, ?> nested ? merged((Map<String, Object>) nested) : value);
            }
        });
        return result;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> environment(String service) throws Exception {
        return (Map<String, Object>) service(service).get("environment");
    }

    @SuppressWarnings("unchecked")
    static List<String> strings(Map<String, Object> service, String key) {
        return ((List<Object>) service.getOrDefault(key, List.of())).stream().map(Object::toString).toList();
    }

    /** The host port a {@code 127.0.0.1:${VAR:-default}:container} mapping publishes, by default. */
    static String defaultHostPort(String mapping) {
        Matcher m = Pattern.compile("^127\\.0\\.0\\.1:\\$\\{[A-Z0-9_]+:-(\\d+)}:").matcher(mapping);
        assertThat(m.find()).as(mapping + " publishes a host port from a variable with a default").isTrue();
        return m.group(1);
    }

    /** {@code camel.main.shutdown-timeout} in seconds, as application.properties sets it. */
    static int camelShutdownTimeoutSeconds() throws Exception {
        Matcher m = Pattern.compile("(?m)^camel\\.main\\.shutdown-timeout\\s*=\\s*(\\d+)\\s*$")
                .matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        assertThat(m.find()).as("camel.main.shutdown-timeout in application.properties").isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** A duration as Compose writes it ({@code 30s}, {@code 1m30s}), in seconds. */
    static int composeSeconds(String duration) {
        Matcher m = Pattern.compile("^(?:(\\d+)m)?(?:(\\d+)s)?$").matcher(duration);
        assertThat(m.matches() && !duration.isEmpty()).as("duration " + duration).isTrue();
        return (m.group(1) == null ? 0 : Integer.parseInt(m.group(1)) * 60) + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
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
    void everyVariableTheApplicationReadsIsWiredIntoEveryGeoleadReplica() throws Exception {
        assertThat(variablesTheApplicationReads()).contains("GEOLEAD_DB_URL", "DIALFIRE_CAMPAIGN_TOKEN", "STRIPE_WEBHOOK_SECRET", "SMTP_HOST");
        for (String replica : REPLICAS) {
            Set<String> missing = new TreeSet<>(variablesTheApplicationReads());
            missing.removeAll(environment(replica).keySet());
            missing.removeAll(NOT_FOR_COMPOSE);
            assertThat(missing).as("variables read by the app but not wired into " + replica + " in docker-compose.yml").isEmpty();
        }
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
        for (String name : List.of("postgres", "artemis-primary", "artemis-backup", "geolead-a", "geolead-b")) {
            Object healthcheck = service(name).get("healthcheck");
            assertThat(healthcheck).as(name + " healthcheck").isInstanceOf(Map.class);
            assertThat(((Map<String, Object>) healthcheck).get("test")).as(name + " healthcheck test").isNotNull();
        }
        for (String replica : REPLICAS) {
            Map<String, Object> dependsOn = (Map<String, Object>) service(replica).get("depends_on");
            for (String dependency : List.of("postgres", "artemis-primary", "artemis-backup")) {
                assertThat(((Map<String, Object>) dependsOn.get(dependency)).get("condition")).as(replica + " waits for " + dependency)
                        .isEqualTo("service_healthy");
            }
            assertThat(dependsOn).containsKey("mailpit");
        }
        // the primary takes the journal's lock first; the backup waits on it
        Map<String, Object> backupDependsOn = (Map<String, Object>) service("artemis-backup").get("depends_on");
        assertThat(((Map<String, Object>) backupDependsOn.get("artemis-primary")).get("condition")).isEqualTo("service_healthy");
        assertThat(((Map<String, Object>) compose().get("volumes"))).containsKeys("postgres-data", "artemis-data", "geolead-a-data", "geolead-b-data");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theReplicasComeFromOneDefinitionAndDifferOnlyInHostnamePortsAndDataVolume() throws Exception {
        Map<String, Object> document = compose();
        Map<String, Object> services = (Map<String, Object>) document.get("services");
        assertThat(document).containsKeys("x-geolead", "x-geolead-environment");
        for (String replica : REPLICAS) {
            Map<String, Object> raw = (Map<String, Object>) services.get(replica);
            assertThat(raw.keySet()).as(replica + " sets only its own hostname, environment merge, ports and volumes")
                    .isSubsetOf(PER_REPLICA_KEYS);
            // an alias is the anchored node itself: both replicas merge the very same definition
            assertThat(raw.get("<<")).as(replica + " merges x-geolead").isSameAs(document.get("x-geolead"));
            Map<String, Object> ownEnvironment = (Map<String, Object>) raw.get("environment");
            assertThat(ownEnvironment.keySet()).as(replica + " environment is the shared one").contains("<<")
                    .isSubsetOf(PER_REPLICA_VARIABLES);
            assertThat(ownEnvironment.get("<<")).isSameAs(document.get("x-geolead-environment"));
        }
        Map<String, Object> a = new LinkedHashMap<>(service("geolead-a"));
        Map<String, Object> b = new LinkedHashMap<>(service("geolead-b"));
        for (String own : List.of("hostname", "ports", "volumes")) {
            a.remove(own);
            b.remove(own);
        }
        Map<String, Object> environmentA = new LinkedHashMap<>((Map<String, Object>) a.remove("environment"));
        Map<String, Object> environmentB = new LinkedHashMap<>((Map<String, Object>) b.remove("environment"));
        assertThat(environmentA.remove("GEOLEAD_INSTANCE_ID")).as("instance ids").isNotEqualTo(environmentB.remove("GEOLEAD_INSTANCE_ID"));
        assertThat(environmentA).isEqualTo(environmentB);
        assertThat(a).isEqualTo(b);
        assertThat(service("geolead-a").get("hostname")).isNotEqualTo(service("geolead-b").get("hostname"));
        // each replica has a data directory of its own (never two instances on one)
        assertThat(strings(service("geolead-a"), "volumes")).contains("geolead-a-data:/app/data");
        assertThat(strings(service("geolead-b"), "volumes")).contains("geolead-b-data:/app/data");
        assertThat(environment("geolead-a").get("GEOLEAD_DATA_DIR")).isEqualTo("/app/data");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyPublishedHostPortIsDistinct() throws Exception {
        Map<String, String> publishedBy = new LinkedHashMap<>();
        Set<String> variables = new TreeSet<>();
        for (String name : ((Map<String, Object>) compose().get("services")).keySet()) {
            for (String mapping : strings(service(name), "ports")) {
                String port = defaultHostPort(mapping);
                assertThat(publishedBy).as(name + " publishes " + port + ", already published by " + publishedBy.get(port)).doesNotContainKey(port);
                publishedBy.put(port, name);
                String variable = mapping.substring(mapping.indexOf("${") + 2, mapping.indexOf(":-"));
                assertThat(variables.add(variable)).as("host port variable " + variable + " used once").isTrue();
            }
        }
        for (String replica : REPLICAS) {
            List<String> ports = strings(service(replica), "ports");
            assertThat(ports).as(replica + " publishes webhook, management and console").anyMatch(p -> p.endsWith(":${GEOLEAD_HTTP_PORT:-8080}"))
                    .anyMatch(p -> p.endsWith(":9876")).anyMatch(p -> p.endsWith(":8081"));
        }
    }

    @Test
    void theBrokerUrlIsTheFailoverPairWithoutConsumerBuffer() throws Exception {
        for (String replica : REPLICAS) {
            String url = environment(replica).get("GEOLEAD_BROKER_URL").toString();
            assertThat(url).as(replica).startsWith("(tcp://artemis-primary:61616,tcp://artemis-backup:61616)?");
            assertThat(url.substring(url.indexOf('?') + 1).split("&"))
                    .contains("ha=true", "reconnectAttempts=-1", "consumerWindowSize=0");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theBrokerPairSharesOneStoreAndRunsTheShippedConfiguration() throws Exception {
        Map<String, Object> primary = service("artemis-primary");
        Map<String, Object> backup = service("artemis-backup");
        String image = primary.get("image").toString();
        assertThat(image).startsWith("apache/activemq-artemis:").isEqualTo(backup.get("image"));
        assertThat(image).as("the broker is the version of the client library")
                .endsWith(":" + property(Files.readString(Path.of("pom.xml")), "<artemis.version>([^<]+)</artemis.version>"));
        // geolead.artemis.data of deploy/artemis/*/broker.xml (its default)
        String sharedStore = "artemis-data:/var/lib/artemis-shared";
        assertThat(strings(primary, "volumes")).contains(sharedStore);
        assertThat(strings(backup, "volumes")).contains(sharedStore);
        assertThat(strings(service("artemis-data-owner"), "volumes")).contains(sharedStore);
        for (Map.Entry<String, Map<String, Object>> broker : Map.of("primary", primary, "backup", backup).entrySet()) {
            String configFile = "/var/lib/artemis-instance/etc-override/broker.xml";
            String shipped = "./deploy/artemis/" + broker.getKey() + "/broker.xml";
            assertThat(strings(broker.getValue(), "volumes")).as(broker.getKey()).contains(shipped + ":" + configFile + ":ro");
            assertThat(Path.of(shipped)).as("the shipped broker configuration").isRegularFile();
            assertThat((List<Object>) broker.getValue().get("command")).as(broker.getKey() + " reads it at every start")
                    .containsExactly("run", "--broker", configFile);
        }
        Map<String, Object> owner = service("artemis-data-owner");
        assertThat(owner.get("entrypoint").toString()).contains("chown");
        assertThat(((Map<String, Object>) ((Map<String, Object>) primary.get("depends_on")).get("artemis-data-owner")).get("condition"))
                .isEqualTo("service_completed_successfully");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyReplicaLogsInWithTheOneSharedManagementUsersFile() throws Exception {
        Map<String, Object> secrets = (Map<String, Object>) compose().get("secrets");
        assertThat(((Map<String, Object>) secrets.get("management-users")).get("file")).isEqualTo("./config/management-users.properties");
        for (String replica : REPLICAS) {
            Map<String, Object> service = service(replica);
            assertThat(environment(replica).get("GEOLEAD_MANAGEMENT_USERS_FILE")).as(replica).isEqualTo(SHARED_USERS_FILE);
            assertThat(strings(service, "secrets")).as(replica).contains("management-users");
            // the health check logs in with that file, not with a file generated per instance
            String healthcheck = ((Map<String, Object>) service.get("healthcheck")).get("test").toString();
            assertThat(healthcheck).contains(SHARED_USERS_FILE, "/observe/health/ready").doesNotContain("/app/data");
        }
    }

    @Test
    void aStoppedReplicaHasLongerThanCamelsShutdownTimeoutBeforeItIsKilled() throws Exception {
        for (String replica : REPLICAS) {
            Object grace = service(replica).get("stop_grace_period");
            assertThat(grace).as(replica + " stop_grace_period (Docker's default 10 s is too short)").isNotNull();
            assertThat(composeSeconds(grace.toString())).isGreaterThan(camelShutdownTimeoutSeconds());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void postgresStatesItsConnectionLimitAndItHoldsEveryReplicasPool() throws Exception {
        String command = String.join(" ", (List<String>) service("postgres").get("command"));
        int maxConnections = Integer.parseInt(property(command, "max_connections=(\\d+)"));
        int pool = Integer.parseInt(property(Files.readString(Path.of("src/main/resources/application.properties")),
                "\\{\\{env:GEOLEAD_DB_POOL_SIZE:(\\d+)}}"));
        assertThat(maxConnections).isGreaterThan(REPLICAS.size() * pool);
    }

    static String property(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return m.group(1);
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

    /** Every folder pom.xml packages into the jar is copied into the build stage (the mail templates once were not). */
    @Test
    void theImageBuildCopiesEveryFolderThePomPackages() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<resource><directory>([^<]+)</directory>")
                .matcher(Files.readString(Path.of("pom.xml")));
        Set<String> packaged = new TreeSet<>();
        while (m.find()) {
            packaged.add(m.group(1).split("/")[0]);
        }
        assertThat(packaged).contains("routes", "templates");
        packaged.forEach(folder -> assertThat(dockerfile).as("Dockerfile copies %s", folder)
                .containsPattern("(?m)^COPY " + folder + " " + folder + "$"));
    }
}
