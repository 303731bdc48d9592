package de.geolead;

import de.geolead.testing.RunningApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Dev mode: the integration team edits routes/*.camel.yaml and the running app picks the change up. */
class DevModeReloadTest {

    @TempDir
    Path dataDir;
    @TempDir
    Path routesDir;

    @Test
    void loadsRoutesFromTheFolderAndReloadsAnEditedFile() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Files.copy(file, routesDir.resolve(file.getFileName()));
            }
        }
        Path probe = routesDir.resolve("probe.camel.yaml");
        Files.writeString(probe, probeRoute("first"));

        try (RunningApp app = RunningApp.startWith(RunningApp.defaults(dataDir), routesDir)) {
            assertThat(app.context().getRoute("dialfire-import-run")).as("the shipped routes, from the folder").isNotNull();
            assertThat(app.context().createProducerTemplate().requestBody("direct:probe", "", String.class)).isEqualTo("first");

            Files.writeString(probe, probeRoute("second"));

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() ->
                    "second".equals(app.context().createProducerTemplate().requestBody("direct:probe", "", String.class)));
        }
    }

    private static String probeRoute(String answer) {
        return """
                - route:
                    id: probe
                    from:
                      uri: direct:probe
                      steps:
                        - setBody:
                            constant: "%s"
                """.formatted(answer);
    }
}
