package de.geolead.console;

import com.fasterxml.jackson.databind.JsonNode;
import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console in the real application: login with the users file, MBeans of this JVM through the war's own
 * Jolokia, and the read-only policy for every user, admins included.
 */
class HawtioConsoleTest {

    @TempDir
    static Path dir;
    static int port;
    static RunningApp app;

    @BeforeAll
    static void start() throws Exception {
        Path users = dir.resolve("console-users.properties");
        Files.writeString(users, String.join("\n",
                "# console users",
                ConsoleUsers.line("vera", "vera-Secret-1".toCharArray(), List.of("viewer")),
                ConsoleUsers.line("adam", "adam-Secret-1".toCharArray(), List.of("admin", "viewer")),
                ""));
        port = RunningApp.freePort();
        app = RunningApp.start(dir.resolve("data"), Map.of(
                "geolead.console.port", Integer.toString(port),
                "geolead.console.users.file", users.toString()));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    static ConsoleClient loggedIn(String user, String password) throws Exception {
        ConsoleClient console = new ConsoleClient(port);
        assertThat(console.login(user, password).statusCode()).isEqualTo(200);
        return console;
    }

    @Test
    void withoutLoginThePageSendsToTheLoginAndJolokiaIsClosed() throws Exception {
        ConsoleClient console = new ConsoleClient(port);

        HttpResponse<String> page = console.get("/");
        assertThat(page.statusCode()).isIn(302, 401);
        if (page.statusCode() == 302) {
            assertThat(page.headers().firstValue("Location")).hasValueSatisfying(location -> assertThat(location).endsWith("/hawtio/login"));
        }
        assertThat(console.jolokia("{\"type\":\"version\"}").statusCode()).isIn(401, 403);
    }

    @Test
    void aLoginGivesAnHttpOnlySessionCookieAndTheUsersRoles() throws Exception {
        ConsoleClient console = new ConsoleClient(port);

        HttpResponse<String> login = console.login("vera", "vera-Secret-1");

        assertThat(login.statusCode()).isEqualTo(200);
        assertThat(console.hasSessionCookie()).isTrue();
        assertThat(login.headers().allValues("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie).contains("JSESSIONID", "HttpOnly"));
        assertThat(login.body()).contains("\"vera\"", "\"viewer\"", RolePrincipal.class.getName());
    }

    @Test
    void aWrongPasswordAndAnUnknownUserAreRefusedAlike() throws Exception {
        HttpResponse<String> wrongPassword = new ConsoleClient(port).login("vera", "not-her-password");
        HttpResponse<String> unknownUser = new ConsoleClient(port).login("mallory", "vera-Secret-1");

        assertThat(wrongPassword.statusCode()).isIn(401, 403);
        assertThat(unknownUser.statusCode()).isEqualTo(wrongPassword.statusCode());
        assertThat(unknownUser.body()).isEqualTo(wrongPassword.body());
    }

    @Test
    void theConsoleSeesTheRoutesOfThisApplication() throws Exception {
        ConsoleClient console = loggedIn("vera", "vera-Secret-1");

        HttpResponse<String> search = console.jolokia("{\"type\":\"search\",\"mbean\":\"org.apache.camel:type=routes,*\"}");

        // a 500 here with a ClassCastException would be the war's Jolokia meeting the application's
        assertThat(search.statusCode()).isEqualTo(200);
        JsonNode answer = ConsoleClient.JSON.readTree(search.body());
        assertThat(answer.path("status").asInt()).isEqualTo(200);
        assertThat(answer.path("value").toString()).contains(
                "org.apache.camel:context=geolead,name=\\\"dialfire-import-run\\\",type=routes",
                "name=\\\"distribution-sweep-run\\\"");
    }

    @Test
    void theConsoleSeesTheBrokersQueuesWithTheirScheduledMessageCounts() throws Exception {
        ConsoleClient console = loggedIn("vera", "vera-Secret-1");
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries.DLQ", "probe");

        String queue = queueMBean(console, "geolead.deliveries.DLQ");

        HttpResponse<String> read = console.jolokia("{\"type\":\"read\",\"mbean\":" + ConsoleClient.JSON.writeValueAsString(queue)
                + ",\"attribute\":[\"MessageCount\",\"ScheduledCount\"]}");
        JsonNode value = ConsoleClient.JSON.readTree(read.body()).path("value");
        assertThat(value.path("MessageCount").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(value.has("ScheduledCount")).isTrue();
    }

    @Test
    void queuedMessagesCanBeCountedButNotBrowsedEvenByAnAdmin() throws Exception {
        ConsoleClient console = loggedIn("adam", "adam-Secret-1");
        app.context().createProducerTemplate().sendBody("jms:queue:geolead.deliveries.DLQ", "probe");
        String queue = queueMBean(console, "geolead.deliveries.DLQ");

        // every QueueControl operation of artemis-server 2.56 that returns messages (bodies or properties)
        for (String operation : List.of("browse()", "browse(int,int)", "browse(java.lang.String)", "browse(int,int,java.lang.String)",
                "listMessages(java.lang.String)", "listMessagesAsJSON(java.lang.String)",
                "listScheduledMessages()", "listScheduledMessagesAsJSON()",
                "listDeliveringMessages()", "listDeliveringMessagesAsJSON()",
                "peekFirstMessageAsJSON()", "peekFirstScheduledMessageAsJSON()")) {
            JsonNode answer = console.execOn(queue, operation);
            assertThat(answer.path("status").asInt()).as(operation).isEqualTo(403);
            assertThat(answer.toString()).as(operation).doesNotContain("probe");
        }
        JsonNode first = ConsoleClient.JSON.readTree(console.jolokia("{\"type\":\"read\",\"mbean\":" + ConsoleClient.JSON.writeValueAsString(queue)
                + ",\"attribute\":\"FirstMessageAsJSON\"}").body());
        assertThat(first.path("status").asInt()).as("FirstMessageAsJSON").isEqualTo(403);
        assertThat(first.toString()).doesNotContain("probe");
        // the attributes view reads them all at once, ignoring errors as Hawtio does: the counts, not the message
        JsonNode all = ConsoleClient.JSON.readTree(console.jolokia("{\"type\":\"read\",\"mbean\":" + ConsoleClient.JSON.writeValueAsString(queue)
                + ",\"config\":{\"ignoreErrors\":true}}").body());
        assertThat(all.path("status").asInt()).isEqualTo(200);
        assertThat(all.path("value").path("MessageCount").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(all.toString()).doesNotContain("probe");

        JsonNode count = console.execOn(queue, "countMessages()");
        assertThat(count.path("status").asInt()).isEqualTo(200);
        assertThat(count.path("value").asLong()).isGreaterThanOrEqualTo(1);
    }

    /** The Artemis MBean of one queue, found through the console. */
    static String queueMBean(ConsoleClient console, String queueName) throws Exception {
        HttpResponse<String> search = console.jolokia("{\"type\":\"search\",\"mbean\":\"org.apache.activemq.artemis:*\"}");
        JsonNode found = ConsoleClient.JSON.readTree(search.body());
        assertThat(found.path("status").asInt()).isEqualTo(200);
        for (JsonNode name : found.path("value")) {
            if (name.asText().contains("subcomponent=queues") && name.asText().contains("queue=\"" + queueName + "\"")) {
                return name.asText();
            }
        }
        throw new AssertionError("no Artemis queue MBean for " + queueName + " in " + found.path("value"));
    }

    @Test
    void routesCanBeReadButNotStoppedEvenByAnAdmin() throws Exception {
        for (String user : new String[] {"vera", "adam"}) {
            ConsoleClient console = loggedIn(user, user + "-Secret-1");

            JsonNode stop = console.execOnRoute("distribution-sweep-run", "stop()");
            assertThat(stop.path("status").asInt()).as(user).isEqualTo(403);
            assertThat(stop.toString()).as(user).containsIgnoringCase("forbidden");
            assertThat(app.context().getRouteController().getRouteStatus("distribution-sweep-run")).isEqualTo(ServiceStatus.Started);

            JsonNode source = console.execOnRoute("distribution-sweep-run", "dumpRouteAsXml()");
            assertThat(source.path("status").asInt()).as(user).isEqualTo(200);
            assertThat(source.path("value").asText()).contains("distribution-sweep-run");
        }
    }

    @Test
    void stateChangingOperationsAreForbidden() throws Exception {
        ConsoleClient console = loggedIn("adam", "adam-Secret-1");

        assertThat(console.execOnRoute("distribution-sweep-run", "suspend()").path("status").asInt()).isEqualTo(403);
        assertThat(console.execOnRoute("distribution-sweep-run", "setTracing(java.lang.Boolean)").path("status").asInt()).isEqualTo(403);
        assertThat(console.execOn("org.apache.camel:context=geolead,type=context,name=\"geolead\"", "stop()").path("status").asInt()).isEqualTo(403);
        assertThat(console.execOn("com.sun.management:type=DiagnosticCommand", "vmSystemProperties()").path("status").asInt()).isEqualTo(403);
        String write = "{\"type\":\"write\",\"mbean\":\"org.apache.camel:context=geolead,type=routes,name=\\\"distribution-sweep-run\\\"\","
                + "\"attribute\":\"Tracing\",\"value\":true}";
        assertThat(ConsoleClient.JSON.readTree(console.jolokia(write).body()).path("status").asInt()).isEqualTo(403);
        assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);
        assertThat(app.context().getRouteController().getRouteStatus("distribution-sweep-run")).isEqualTo(ServiceStatus.Started);
    }
}
