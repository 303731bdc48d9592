package de.geolead.deploy;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests under deploy/kubernetes cannot be applied here (no cluster), so their promises are checked as data,
 * as {@link ComposeFileTest} does for docker-compose.yml: two or more pods, probes that log in with the shared
 * management login from the Secret, a disruption budget, a grace period longer than Camel's shutdown, every
 * variable the application reads in the ConfigMap or the Secret, and no secret in the ConfigMap.
 */
class KubernetesManifestsTest {

    static final Path DIR = Path.of("deploy/kubernetes");
    static final String SECRET_TEMPLATE = "secret.example.yaml";
    /** Read by the application but deliberately not part of a deployment. */
    static final Set<String> NOT_FOR_KUBERNETES = Set.of("GEOLEAD_DEV_MODE");
    /** Names of secrets: these belong in the Secret, never in the ConfigMap. */
    /** A secret's variable; a *_FILE variable names where a secret file is mounted and is no secret itself. */
    static final Pattern SECRET_NAME = Pattern.compile("(?!.*_FILE$).*(TOKEN|PASSWORD|SECRET|_KEY).*");

    /** Every document of every manifest file, the Secret template included. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents() throws Exception {
        List<Map<String, Object>> documents = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))) {
                    if (document != null) {
                        assertThat(document).as(file + " holds mappings").isInstanceOf(Map.class);
                        documents.add((Map<String, Object>) document);
                    }
                }
            }
        }
        return documents;
    }

    static Map<String, Object> resource(String kind, String name) throws Exception {
        return documents().stream()
                .filter(d -> kind.equals(d.get("kind")) && name.equals(map(d, "metadata").get("name")))
                .findFirst().orElseThrow(() -> new AssertionError(kind + " " + name + " missing in " + DIR));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String... path) {
        Map<String, Object> current = parent;
        for (String key : path) {
            Object next = current.get(key);
            assertThat(next).as(String.join(".", path) + " (at " + key + ")").isInstanceOf(Map.class);
            current = (Map<String, Object>) next;
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        return (List<Map<String, Object>>) parent.getOrDefault(key, List.of());
    }

    static Map<String, Object> podSpec() throws Exception {
        return map(resource("Deployment", "geolead"), "spec", "template", "spec");
    }

    static Map<String, Object> container() throws Exception {
        List<Map<String, Object>> containers = list(podSpec(), "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Map<String, Object> configMap() throws Exception {
        return map(resource("ConfigMap", "geolead-config"), "data");
    }

    static Map<String, Object> secretTemplate(String name) throws Exception {
        return map(resource("Secret", name), "stringData");
    }

    /** The shell command of an exec probe. */
    @SuppressWarnings("unchecked")
    static String probeCommand(String probe) throws Exception {
        Map<String, Object> exec = map(container(), probe, "exec");
        return String.join(" ", (List<String>) exec.get("command"));
    }

    @Test
    void everyManifestParsesAndKustomizeAppliesAllButTheSecretTemplate() throws Exception {
        List<Map<String, Object>> documents = documents();
        assertThat(documents).extracting(d -> d.get("kind"))
                .contains("ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget", "Kustomization");
        for (Map<String, Object> document : documents) {
            assertThat(document).as(document.get("kind").toString()).containsKeys("apiVersion", "kind");
            if (!"Kustomization".equals(document.get("kind"))) {
                assertThat(map(document, "metadata")).containsKey("name");
            }
        }
        Set<String> manifests = new TreeSet<>();
        try (Stream<Path> files = Files.list(DIR)) {
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml")).forEach(manifests::add);
        }
        manifests.removeAll(Set.of("kustomization.yaml", SECRET_TEMPLATE));
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) documents.stream().filter(d -> "Kustomization".equals(d.get("kind")))
                .findFirst().orElseThrow().get("resources");
        // the template's placeholders must never be applied by accident
        assertThat(resources).doesNotContain(SECRET_TEMPLATE).containsExactlyInAnyOrderElementsOf(manifests);
        assertThat(Files.readString(DIR.resolve(SECRET_TEMPLATE))).contains("TEMPLATE", "PLACEHOLDER");
        assertThat(secretTemplate("geolead-secrets").values()).allMatch("CHANGE-ME"::equals);
    }

    @Test
    void atLeastTwoReplicasRollOneAtATime() throws Exception {
        Map<String, Object> spec = map(resource("Deployment", "geolead"), "spec");
        assertThat((Integer) spec.get("replicas")).isGreaterThanOrEqualTo(2);
        assertThat(map(spec, "strategy", "rollingUpdate").get("maxUnavailable")).isEqualTo(0);
    }

    @Test
    void probesLogInWithTheManagementUsersFileFromTheSecret() throws Exception {
        String usersFile = configMap().get("GEOLEAD_MANAGEMENT_USERS_FILE").toString();
        String port = configMap().get("GEOLEAD_MANAGEMENT_PORT").toString();
        assertThat(configMap().get("GEOLEAD_MANAGEMENT_BIND")).isEqualTo("0.0.0.0");
        assertThat(probeCommand("livenessProbe")).contains(usersFile, "http://127.0.0.1:" + port + "/observe/health/live");
        assertThat(probeCommand("readinessProbe")).contains(usersFile, "http://127.0.0.1:" + port + "/observe/health/ready");
        assertThat(probeCommand("startupProbe")).contains(usersFile, "/observe/health/");
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertThat(probeCommand(probe)).as(probe).contains("curl -fsS -u");
        }
        // the file is the Secret geolead-management-users, mounted read-only
        Path file = Path.of(usersFile);
        Map<String, Object> mount = list(container(), "volumeMounts").stream()
                .filter(m -> m.get("mountPath").equals(file.getParent().toString())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mounted at " + file.getParent()));
        assertThat(mount.get("readOnly")).isEqualTo(true);
        Map<String, Object> volume = list(podSpec(), "volumes").stream()
                .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
        String secretName = map(volume, "secret").get("secretName").toString();
        assertThat(secretTemplate(secretName)).containsKey(file.getFileName().toString());
        assertThat(secretTemplate(secretName).get(file.getFileName().toString()).toString()).containsPattern("(?m)^user\\.\\w+ = ");
    }

    @Test
    void aDisruptionBudgetKeepsOnePodRunning() throws Exception {
        Map<String, Object> spec = map(resource("PodDisruptionBudget", "geolead"), "spec");
        assertThat(spec.get("minAvailable")).isEqualTo(1);
        assertThat(map(spec, "selector", "matchLabels")).isEqualTo(map(resource("Deployment", "geolead"), "spec", "template", "metadata", "labels"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theGracePeriodIsLongerThanThePreStopPauseAndCamelsShutdownTimeout() throws Exception {
        int preStop = 0;
        Object lifecycle = container().get("lifecycle");
        if (lifecycle != null) {
            List<String> command = (List<String>) map((Map<String, Object>) lifecycle, "preStop", "exec").get("command");
            assertThat(command.get(0)).isEqualTo("sleep");
            preStop = Integer.parseInt(command.get(1));
        }
        int grace = (Integer) podSpec().get("terminationGracePeriodSeconds");
        assertThat(grace).as("terminationGracePeriodSeconds").isGreaterThan(preStop + ComposeFileTest.camelShutdownTimeoutSeconds());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyVariableTheApplicationReadsIsInTheConfigMapOrTheSecret() throws Exception {
        List<Map<String, Object>> envFrom = list(container(), "envFrom");
        assertThat(envFrom).anyMatch(e -> e.containsKey("configMapRef") && map(e, "configMapRef").get("name").equals("geolead-config"))
                .anyMatch(e -> e.containsKey("secretRef") && map(e, "secretRef").get("name").equals("geolead-secrets"));
        Set<String> missing = new TreeSet<>(ComposeFileTest.variablesTheApplicationReads());
        missing.removeAll(configMap().keySet());
        missing.removeAll(secretTemplate("geolead-secrets").keySet());
        missing.removeAll(NOT_FOR_KUBERNETES);
        // set per pod in the Deployment, from the downward API (no value of its own)
        for (Map<String, Object> variable : list(container(), "env")) {
            assertThat(variable).as(variable.get("name") + " in the Deployment").containsKey("valueFrom");
            missing.remove(variable.get("name").toString());
        }
        assertThat(missing).as("variables read by the app but in neither the ConfigMap nor the Secret").isEmpty();
    }

    @Test
    void noSecretIsInTheConfigMapAndEverySecretIsInTheSecret() throws Exception {
        Set<String> secrets = new TreeSet<>(ComposeFileTest.variablesTheApplicationReads());
        secrets.removeIf(name -> !SECRET_NAME.matcher(name).matches());
        assertThat(secrets).contains("GEOLEAD_DB_PASSWORD", "DIALFIRE_CAMPAIGN_TOKEN", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET");
        assertThat(configMap().keySet()).as("secrets in the ConfigMap").noneMatch(name -> SECRET_NAME.matcher(name).matches());
        assertThat(secretTemplate("geolead-secrets").keySet()).containsAll(secrets);
    }

    @Test
    void eachPodIsItsOwnSchedulerInstanceAndUsesTheFailoverBrokerPair() throws Exception {
        Map<String, Object> instanceId = list(container(), "env").stream()
                .filter(v -> v.get("name").equals("GEOLEAD_INSTANCE_ID")).findFirst().orElseThrow();
        assertThat(map(instanceId, "valueFrom", "fieldRef").get("fieldPath")).isEqualTo("metadata.name");
        String url = configMap().get("GEOLEAD_BROKER_URL").toString();
        assertThat(url).matches("^\\(tcp://[^,]+,tcp://[^)]+\\)\\?.*");
        assertThat(url.substring(url.indexOf('?') + 1).split("&")).contains("ha=true", "reconnectAttempts=-1", "consumerWindowSize=0");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theServiceExposesTheWebhookPortOfTheGeoleadPods() throws Exception {
        Map<String, Object> spec = map(resource("Service", "geolead"), "spec");
        assertThat(map(spec, "selector")).isEqualTo(map(resource("Deployment", "geolead"), "spec", "template", "metadata", "labels"));
        List<Map<String, Object>> ports = list(spec, "ports");
        assertThat(ports).hasSize(1);
        Map<String, Object> containerPort = list(container(), "ports").stream()
                .filter(p -> p.get("name").equals(ports.get(0).get("targetPort"))).findFirst().orElseThrow();
        assertThat(containerPort.get("containerPort").toString()).isEqualTo(configMap().get("GEOLEAD_HTTP_PORT"));
        assertThat(ports.get(0).get("targetPort")).as("the management port stays out of the Service").isNotIn("management", 9876);
    }
}
