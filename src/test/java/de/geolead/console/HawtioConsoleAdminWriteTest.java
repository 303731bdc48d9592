package de.geolead.console;

import com.fasterxml.jackson.databind.JsonNode;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** GEOLEAD_CONSOLE_ADMIN_WRITE=true: every console user may start, stop, suspend and resume routes, and no more. */
class HawtioConsoleAdminWriteTest {

    static final String ROUTE = "distribution-sweep-run";

    @TempDir
    Path dir;

    @Test
    void routesCanBeStoppedAndStartedButTheContextAndServicesNot() throws Exception {
        Path users = dir.resolve("console-users.properties");
        Files.writeString(users, ConsoleUsers.line("vera", "vera-Secret-1".toCharArray(), List.of("viewer")) + "\n");
        int port = RunningApp.freePort();
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dir.resolve("data"), Map.of(
                     "geolead.console.port", Integer.toString(port),
                     "geolead.console.users.file", users.toString(),
                     "geolead.console.admin.write", "true"))) {
            assertThat(log.linesContaining("Hawtio console started")).singleElement().asString().contains("routes may be started and stopped");
            ConsoleClient console = new ConsoleClient(port);
            assertThat(console.login("vera", "vera-Secret-1").statusCode()).isEqualTo(200);

            // a viewer too: Hawtio has no per-role rights outside Karaf
            assertThat(console.execOnRoute(ROUTE, "stop()").path("status").asInt()).isEqualTo(200);
            assertThat(app.context().getRouteController().getRouteStatus(ROUTE)).isEqualTo(ServiceStatus.Stopped);
            assertThat(console.execOnRoute(ROUTE, "start()").path("status").asInt()).isEqualTo(200);
            assertThat(app.context().getRouteController().getRouteStatus(ROUTE)).isEqualTo(ServiceStatus.Started);
            assertThat(console.execOnRoute(ROUTE, "suspend()").path("status").asInt()).isEqualTo(200);
            assertThat(console.execOnRoute(ROUTE, "resume()").path("status").asInt()).isEqualTo(200);
            assertThat(app.context().getRouteController().getRouteStatus(ROUTE)).isEqualTo(ServiceStatus.Started);

            assertThat(console.execOnRoute(ROUTE, "remove()").path("status").asInt()).isEqualTo(403);
            assertThat(console.execOnRoute(ROUTE, "restart()").path("status").asInt()).isEqualTo(403);
            assertThat(console.execOn("org.apache.camel:context=geolead,type=context,name=\"geolead\"", "stop()").path("status").asInt()).isEqualTo(403);
            String infrastructure = searchOne(console, "org.apache.camel:context=geolead,type=services,name=Infrastructure*");
            assertThat(console.execOn(infrastructure, "stop()").path("status").asInt()).isEqualTo(403);
            assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);

            // queued messages: counted, never shown
            app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries.DLQ", "probe");
            String queue = HawtioConsoleTest.queueMBean(console, "geolead.deliveries.DLQ");
            assertThat(console.execOn(queue, "browse()").path("status").asInt()).isEqualTo(403);
            assertThat(console.execOn(queue, "listScheduledMessagesAsJSON()").path("status").asInt()).isEqualTo(403);
            assertThat(console.execOn(queue, "countMessages()").path("status").asInt()).isEqualTo(200);
        }
    }

    private static String searchOne(ConsoleClient console, String pattern) throws Exception {
        JsonNode found = ConsoleClient.JSON.readTree(console.jolokia(
                ConsoleClient.JSON.createObjectNode().put("type", "search").put("mbean", pattern).toString()).body());
        assertThat(found.path("value")).hasSize(1);
        return found.path("value").get(0).asText();
    }
}
