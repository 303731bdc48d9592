package de.geolead.api;

import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The operations API's door: tokens, roles, the error body, the OpenAPI document. */
class OperationsApiAuthTest {

    @TempDir
    static Path dataDir;
    static RunningApp app;

    @BeforeAll
    static void start() {
        app = RunningApp.start(dataDir, ApiClient.settings(dataDir));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void aKnownTokenIsAnsweredWithItsNameAndRole() {
        ApiClient.Answer admin = ApiClient.admin(app).get("/api/me");
        assertThat(admin.status()).isEqualTo(200);
        assertThat(admin.json().getAsJsonObject().get("name").getAsString()).isEqualTo("ops-admin");
        assertThat(admin.json().getAsJsonObject().get("role").getAsString()).isEqualTo("admin");
        assertThat(ApiClient.viewer(app).get("/api/me").json().getAsJsonObject().get("role").getAsString()).isEqualTo("viewer");
    }

    @Test
    void noTokenOrAnUnknownOneIs401WithAJsonError() {
        ApiClient.Answer none = ApiClient.of(app, null).get("/api/me");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.error()).isEqualTo("unauthorized");
        assertThat(none.json().getAsJsonObject().get("detail").getAsString()).contains("Bearer");
        ApiClient.Answer unknown = ApiClient.of(app, "not-a-token-of-this-app-xyz").get("/api/me");
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.error()).isEqualTo("unauthorized");
    }

    @Test
    void aViewerCannotPassAWriteOffAsARead() {
        // Camel's own header names from outside never reach the routes: the role check reads the real method
        ApiClient.Answer answer = ApiClient.viewer(app).send("POST", "/api/leads/1/park", "{\"reason\": \"x\"}",
                java.util.Map.of("CamelHttpMethod", "GET", "camelhttpmethod", "GET"));
        assertThat(answer.status()).as(answer.text()).isEqualTo(403);
        assertThat(answer.error()).isEqualTo("forbidden");
    }

    @Test
    void theOpenApiDocumentListsTheRoutes() {
        ApiClient.Answer doc = ApiClient.of(app, null).get("/api/openapi.json");
        assertThat(doc.status()).isEqualTo(200);
        assertThat(doc.json().getAsJsonObject().get("openapi").getAsString()).startsWith("3.");
        assertThat(doc.json().getAsJsonObject().getAsJsonObject("paths").keySet()).contains("/me");
    }
}
