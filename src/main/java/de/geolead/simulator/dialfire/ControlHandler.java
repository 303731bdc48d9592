package de.geolead.simulator.dialfire;

import static de.geolead.simulator.dialfire.SimHttp.sendJson;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The HTTP control surface under /__sim/ (no auth, JSON in and out), a thin layer over the
 * simulator's Java API:
 * <pre>
 * POST   /__sim/contacts                {"task":..,"fields":{..}}             → {"id":..}
 * GET    /__sim/contacts/{id}                                                 → flat contact
 * POST   /__sim/contacts/{id}/success   {"task":..[,"firedAgoMs":..]}         → {"fired":..}  (late: fired that long ago)
 * POST   /__sim/contacts/{id}/move      {"task":..,"status":..[,"statusDetail":..]} → {"fired":..}
 * POST   /__sim/contacts/{id}/update    {"fields":{..}}                       → {"fired":..}
 * PUT    /__sim/resources/{path…}       raw body, Content-Type kept           → {}
 * POST   /__sim/faults                  {"path":..,"status":..,"times":..} or {"path":..,"delayMs":..,"times":..}
 * DELETE /__sim/faults                  clears all faults
 * POST   /__sim/clock                  {"offsetMs":..}  Dialfire's clock off the wall clock (only on an empty feed)
 * POST   /__sim/reset
 * GET    /__sim/requests                                                      → ["GET /api/…", …]
 * </pre>
 * Errors: 400 {"error":..} for bad input, 404 for unknown contacts or paths.
 */
final class ControlHandler {

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final DialfireSimulator simulator;

    ControlHandler(DialfireSimulator simulator) {
        this.simulator = simulator;
    }

    void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        List<String> path = SimHttp.segments(exchange.getRequestURI().getPath());
        List<String> rest = path.subList(1, path.size()); // drop "__sim"
        try {
            route(exchange, method, rest);
        } catch (IllegalArgumentException e) {
            int status = e.getMessage() != null && e.getMessage().startsWith("unknown contact") ? 404 : 400;
            sendJson(exchange, status, Map.of("error", String.valueOf(e.getMessage())));
        }
    }

    private void route(HttpExchange exchange, String method, List<String> rest) throws IOException {
        String first = rest.isEmpty() ? "" : rest.get(0);
        if (method.equals("POST") && rest.equals(List.of("contacts"))) {
            JsonNode body = jsonBody(exchange);
            String id = simulator.addContact(text(body, "task"), fields(body));
            sendJson(exchange, 200, Map.of("id", id));
        } else if (method.equals("GET") && rest.size() == 2 && first.equals("contacts")) {
            sendJson(exchange, 200, simulator.contact(rest.get(1)));
        } else if (method.equals("POST") && rest.size() == 3 && first.equals("contacts")) {
            contactAction(exchange, rest.get(1), rest.get(2));
        } else if (method.equals("PUT") && rest.size() >= 2 && first.equals("resources")) {
            String resourcePath = String.join("/", rest.subList(1, rest.size()));
            simulator.putResource(resourcePath, SimHttp.readBody(exchange),
                    exchange.getRequestHeaders().getFirst("Content-Type"));
            sendJson(exchange, 200, Map.of());
        } else if (method.equals("POST") && rest.equals(List.of("faults"))) {
            addFault(jsonBody(exchange));
            sendJson(exchange, 200, Map.of());
        } else if (method.equals("DELETE") && rest.equals(List.of("faults"))) {
            simulator.clearFaults();
            sendJson(exchange, 200, Map.of());
        } else if (method.equals("POST") && rest.equals(List.of("clock"))) {
            JsonNode body = jsonBody(exchange);
            simulator.setClockOffset(Duration.ofMillis(body.hasNonNull("offsetMs") ? body.get("offsetMs").asLong() : 0));
            sendJson(exchange, 200, Map.of());
        } else if (method.equals("POST") && rest.equals(List.of("reset"))) {
            simulator.reset();
            sendJson(exchange, 200, Map.of());
        } else if (method.equals("GET") && rest.equals(List.of("requests"))) {
            sendJson(exchange, 200, simulator.requestLog());
        } else {
            sendJson(exchange, 404, Map.of("error", "unknown control path"));
        }
    }

    private void contactAction(HttpExchange exchange, String contactId, String action) throws IOException {
        JsonNode body = jsonBody(exchange);
        Instant fired = switch (action) {
            case "success" -> body.hasNonNull("firedAgoMs")
                    ? simulator.succeedLate(contactId, text(body, "task"), Duration.ofMillis(body.get("firedAgoMs").asLong()))
                    : simulator.succeed(contactId, text(body, "task"));
            case "move" -> simulator.moveTo(contactId, text(body, "task"), text(body, "status"),
                    body.hasNonNull("statusDetail") ? body.get("statusDetail").asText() : null);
            case "update" -> simulator.updateFields(contactId, fields(body));
            default -> throw new IllegalArgumentException("unknown contact action: " + action);
        };
        sendJson(exchange, 200, Map.of("fired", SimFormats.timestamp(fired)));
    }

    private void addFault(JsonNode body) {
        String path = body.hasNonNull("path") ? body.get("path").asText() : "";
        int times = body.hasNonNull("times") ? body.get("times").asInt() : 1;
        if (body.hasNonNull("delayMs")) {
            simulator.delayNext(path, Duration.ofMillis(body.get("delayMs").asLong()), times);
        } else if (body.hasNonNull("status")) {
            simulator.failNext(path, body.get("status").asInt(), times);
        } else {
            throw new IllegalArgumentException("a fault needs \"status\" or \"delayMs\"");
        }
    }

    private static JsonNode jsonBody(HttpExchange exchange) throws IOException {
        byte[] bytes = SimHttp.readBody(exchange);
        if (bytes.length == 0) {
            return SimHttp.JSON.createObjectNode();
        }
        try {
            JsonNode body = SimHttp.JSON.readTree(bytes);
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            return body;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON");
        }
    }

    private static String text(JsonNode body, String name) {
        if (!body.hasNonNull(name)) {
            throw new IllegalArgumentException("missing \"" + name + "\"");
        }
        return body.get(name).asText();
    }

    private static Map<String, String> fields(JsonNode body) {
        if (!body.hasNonNull("fields")) {
            return Map.of();
        }
        try {
            return SimHttp.JSON.convertValue(body.get("fields"), STRING_MAP);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"fields\" must be an object of strings");
        }
    }
}
