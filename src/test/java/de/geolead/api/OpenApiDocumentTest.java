package de.geolead.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.rest.ParamDefinition;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.RestParamType;
import org.apache.camel.model.rest.VerbDefinition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document at GET /api/openapi.json and the REST verbs of the running application agree: every verb of
 * the context's {@code rest:} definitions is in the document with its method and parameters, the document has no
 * operation the routes lack, and every operation of the document is a live route behind the API's door (401 JSON
 * without a token; a viewer's write 403). Written over whatever verbs the route files declare, so it covers each verb
 * added later.
 */
class OpenApiDocumentTest {

    private static final Set<String> READS = Set.of("get", "head");

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static JsonObject document;

    /** One operation: OpenAPI path (with {params}) and lower-case method. */
    record Operation(String path, String method) implements Comparable<Operation> {
        @Override
        public int compareTo(Operation o) {
            return (path + " " + method).compareTo(o.path + " " + o.method);
        }
    }

    @BeforeAll
    static void start() {
        app = RunningApp.start(dataDir, ApiClient.settings(dataDir));
        ApiClient.Answer answer = ApiClient.of(app, null).get("/api/openapi.json");
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        document = answer.json().getAsJsonObject();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    static List<RestDefinition> rests() {
        List<RestDefinition> rests = ((ModelCamelContext) app.context()).getRestDefinitions();
        assertThat(rests).as("rest definitions of the running context").isNotEmpty();
        return rests;
    }

    static String path(RestDefinition rest, VerbDefinition verb) {
        String path = (rest.getPath() == null ? "" : rest.getPath()) + (verb.getPath() == null ? "" : verb.getPath());
        return (path.startsWith("/") ? path : "/" + path).replaceAll("/+$", "").replaceAll("//+", "/");
    }

    static JsonObject operation(String path, String method) {
        JsonObject paths = document.getAsJsonObject("paths");
        assertThat(paths.has(path)).as("document has path %s; it has %s", path, paths.keySet()).isTrue();
        JsonObject item = paths.getAsJsonObject(path);
        assertThat(item.has(method)).as("document has %s %s", method, path).isTrue();
        return item.getAsJsonObject(method);
    }

    @Test
    void theDocumentIsOpenApi3AndNeedsNoToken() {
        assertThat(document.get("openapi").getAsString()).startsWith("3.");
        assertThat(document.getAsJsonObject("info").get("title").getAsString()).isEqualTo("Geolead operations API");
    }

    @Test
    void everyRestVerbIsInTheDocumentWithItsParametersAndNothingElseIs() {
        Set<Operation> declared = new TreeSet<>();
        for (RestDefinition rest : rests()) {
            for (VerbDefinition verb : rest.getVerbs()) {
                String path = path(rest, verb);
                String method = verb.asVerb().toLowerCase(Locale.ROOT);
                declared.add(new Operation(path, method));
                JsonObject operation = operation(path, method);
                if (verb.getId() != null) {
                    assertThat(operation.get("operationId").getAsString()).as("operationId of %s %s", method, path).isEqualTo(verb.getId());
                }
                if (verb.getDescription() != null) {
                    assertThat(text(operation, "summary") + "|" + text(operation, "description")).as("%s %s describes itself", method, path)
                            .contains(verb.getDescription());
                }
                List<String> documented = new ArrayList<>();
                if (operation.has("parameters")) {
                    for (JsonElement p : operation.getAsJsonArray("parameters")) {
                        documented.add(p.getAsJsonObject().get("in").getAsString() + ":" + p.getAsJsonObject().get("name").getAsString());
                    }
                }
                List<String> params = new ArrayList<>();
                for (ParamDefinition param : verb.getParams()) {
                    if (param.getType() == RestParamType.body) {
                        assertThat(operation.has("requestBody")).as("%s %s documents its body", method, path).isTrue();
                    } else {
                        params.add(param.getType().name() + ":" + param.getName());
                    }
                }
                // every {name} of the path is a declared path parameter
                java.util.regex.Matcher names = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
                while (names.find()) {
                    assertThat(params).as("%s %s declares its path parameter %s", method, path, names.group(1)).contains("path:" + names.group(1));
                }
                assertThat(documented).as("parameters of %s %s", method, path).containsExactlyInAnyOrderElementsOf(params);
                if (verb.getType() != null) {
                    assertThat(operation.has("requestBody")).as("%s %s documents its body %s", method, path, verb.getType()).isTrue();
                }
            }
        }
        assertThat(documentedOperations()).containsExactlyElementsOf(declared);
        assertThat(declared).contains(new Operation("/me", "get"), new Operation("/leads", "get"), new Operation("/leads/{id}", "get"));
    }

    @Test
    void everyDocumentedOperationIsARouteBehindTheTokenCheck() {
        String contextPath = app.context().getRestConfiguration().getContextPath();
        assertThat(contextPath).isEqualTo("/api");
        for (Operation op : documentedOperations()) {
            String url = contextPath + op.path().replaceAll("\\{[^}]+}", "1");
            String method = op.method().toUpperCase(Locale.ROOT);
            String body = READS.contains(op.method()) || "delete".equals(op.method()) ? null : "{}";
            ApiClient.Answer anonymous = ApiClient.of(app, null).send(method, url, body);
            assertThat(anonymous.status()).as("%s %s without a token: %s", method, url, anonymous.text()).isEqualTo(401);
            assertThat(anonymous.error()).isEqualTo("unauthorized");
            assertThat(anonymous.headers().get("content-type").get(0)).startsWith("application/json");
            if (!READS.contains(op.method())) {
                ApiClient.Answer viewer = ApiClient.viewer(app).send(method, url, body);
                assertThat(viewer.status()).as("%s %s with the viewer token: %s", method, url, viewer.text()).isEqualTo(403);
                assertThat(viewer.error()).isEqualTo("forbidden");
            }
        }
    }

    static Set<Operation> documentedOperations() {
        Set<Operation> operations = new TreeSet<>();
        JsonObject paths = document.getAsJsonObject("paths");
        for (String path : paths.keySet()) {
            for (String method : paths.getAsJsonObject(path).keySet()) {
                if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(method)) {
                    operations.add(new Operation(path, method));
                }
            }
        }
        assertThat(operations).isNotEmpty();
        return operations;
    }

    private static String text(JsonObject object, String field) {
        return object.has(field) && object.get(field).isJsonPrimitive() ? object.get(field).getAsString() : "";
    }
}
