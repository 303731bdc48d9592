package de.geolead.simulator.dialfire;

import static de.geolead.simulator.dialfire.SimHttp.send;
import static de.geolead.simulator.dialfire.SimHttp.sendJson;
import static de.geolead.simulator.dialfire.SimHttp.sendText;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Serves the simulated Dialfire API under /api (campaign scope only).
 *
 * <p>Per request: log it, apply injected delay and failure, check the campaign token (except for
 * resources/public/…), then route. Unknown paths inside the own campaign answer 404.
 */
final class ApiHandler {

    static final int MAX_IDS_PER_REQUEST = 30;

    private static final Instant FAR_FUTURE = Instant.parse("9999-12-31T23:59:59.999Z");

    private final String campaignId;
    private final String campaignToken;
    private final CampaignState state;
    private final FaultInjector faults;

    ApiHandler(String campaignId, String campaignToken, CampaignState state, FaultInjector faults) {
        this.campaignId = campaignId;
        this.campaignToken = campaignToken;
        this.state = state;
        this.faults = faults;
    }

    void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        String rawQuery = exchange.getRequestURI().getRawQuery();
        String target = path + (rawQuery == null ? "" : "?" + rawQuery);
        state.logRequest(method + " " + exchange.getRequestURI().getRawPath() + (rawQuery == null ? "" : "?" + rawQuery));

        // faults match on the path and the query, so that e.g. "cursor=" hits only follow-up pages
        Optional<Duration> delay = faults.takeDelay(target);
        if (delay.isPresent()) {
            sleep(delay.get());
        }
        Optional<Duration> stall = faults.takeStall(target);
        if (stall.isPresent()) {
            stallBody(exchange, stall.get());
            return;
        }
        Optional<Integer> failure = faults.takeFailure(target);
        if (failure.isPresent()) {
            int status = failure.get();
            sendText(exchange, status, status == 403 ? "Forbidden" : "Simulated failure " + status);
            return;
        }

        // segments: api, campaigns, {cid}, rest…
        List<String> segments = SimHttp.segments(path);
        List<String> rest = segments.size() > 3 ? segments.subList(3, segments.size()) : List.of();
        boolean ownCampaign = segments.size() >= 3 && segments.get(1).equals("campaigns")
                && segments.get(2).equals(campaignId);
        boolean publicResource = rest.size() >= 3 && rest.get(0).equals("resources") && rest.get(1).equals("public");

        if (publicResource && segments.get(1).equals("campaigns")) {
            if (ownCampaign) {
                serveResource(exchange, method, rest);
            } else {
                sendText(exchange, 404, "Not Found");
            }
            return;
        }
        if (!ownCampaign || !hasCampaignToken(exchange)) {
            sendText(exchange, 403, "Forbidden");
            return;
        }
        route(exchange, method, rest);
    }

    private void route(HttpExchange exchange, String method, List<String> rest) throws IOException {
        boolean get = method.equals("GET");
        boolean post = method.equals("POST");
        if (get && rest.equals(List.of("contacts", "transactions"))) {
            transactions(exchange);
        } else if (post && rest.equals(List.of("contacts", "flat_view"))) {
            contactsById(exchange);
        } else if (post && rest.equals(List.of("contacts"))) {
            // the "full contacts" endpoint; the simulator's flat view already carries $task_log
            contactsById(exchange);
        } else if (get && rest.size() == 3 && rest.get(0).equals("contacts") && rest.get(2).equals("flat_view")) {
            Optional<Map<String, Object>> contact = state.flatView(rest.get(1));
            if (contact.isPresent()) {
                sendJson(exchange, 200, contact.get());
            } else {
                sendText(exchange, 404, "Not Found");
            }
        } else if (rest.size() >= 2 && rest.get(0).equals("resources")) {
            serveResource(exchange, method, rest);
        } else {
            sendText(exchange, 404, "Not Found");
        }
    }

    /** A host that answers 200, sends the headers and one byte of the body, then stalls and hangs up. */
    private static void stallBody(HttpExchange exchange, Duration stall) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().write('%');
        exchange.getResponseBody().flush();
        sleep(stall);
        exchange.close();
    }

    /** GET …/contacts/transactions/?from&to&cursor&limit[&tasks][&type][&hi] */
    private void transactions(HttpExchange exchange) throws IOException {
        Map<String, String> params = SimHttp.queryParams(exchange);
        TransactionFeed.Query query;
        try {
            Instant from = params.containsKey("from") ? SimFormats.parseQueryTime(params.get("from")) : Instant.EPOCH;
            Instant to = params.containsKey("to") ? SimFormats.parseQueryTime(params.get("to")) : FAR_FUTURE;
            List<String> tasks = Arrays.stream(params.getOrDefault("tasks", "").split(","))
                    .map(String::trim).filter(prefix -> !prefix.isEmpty()).toList();
            String type = params.getOrDefault("type", "").isEmpty() ? null : params.get("type");
            boolean humanOnly = "true".equalsIgnoreCase(params.get("hi"));
            query = new TransactionFeed.Query(from, to, tasks, type, humanOnly,
                    params.getOrDefault("cursor", ""), limit(params.get("limit")));
        } catch (IllegalArgumentException e) {
            sendText(exchange, 400, e.getMessage());
            return;
        }
        TransactionFeed.Page page;
        try {
            page = state.transactions(query);
        } catch (IllegalArgumentException e) {
            sendText(exchange, 400, "invalid cursor");
            return;
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("count", page.results().size());
        response.put("results", page.results());
        response.put("cursor", page.cursor());
        sendJson(exchange, 200, response);
    }

    private static int limit(String text) {
        if (text == null || text.isEmpty()) {
            return TransactionFeed.MAX_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text.trim());
            if (limit < 1) {
                throw new IllegalArgumentException("invalid limit " + text);
            }
            return Math.min(limit, TransactionFeed.MAX_LIMIT);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid limit " + text, e);
        }
    }

    /** POST …/contacts/flat_view (and …/contacts/) with a JSON array of ids. */
    private void contactsById(HttpExchange exchange) throws IOException {
        JsonNode body;
        try {
            body = SimHttp.JSON.readTree(SimHttp.readBody(exchange));
        } catch (IOException e) {
            sendText(exchange, 400, "invalid JSON");
            return;
        }
        if (body == null || !body.isArray()) {
            sendText(exchange, 400, "expected a JSON array of ids");
            return;
        }
        if (body.size() > MAX_IDS_PER_REQUEST) {
            sendText(exchange, 400, "too many ids");
            return;
        }
        List<String> ids = new ArrayList<>();
        body.forEach(id -> ids.add(id.asText()));
        sendJson(exchange, 200, state.flatViews(ids));
    }

    /** GET …/resources/{path…}: raw bytes with the stored Content-Type. */
    private void serveResource(HttpExchange exchange, String method, List<String> rest) throws IOException {
        if (!method.equals("GET")) {
            sendText(exchange, 404, "Not Found");
            return;
        }
        String resourcePath = String.join("/", rest.subList(1, rest.size()));
        Optional<CampaignState.Resource> resource = state.resource(resourcePath);
        if (resource.isPresent()) {
            send(exchange, 200, resource.get().bytes(), resource.get().contentType());
        } else {
            sendText(exchange, 404, "Not Found");
        }
    }

    private boolean hasCampaignToken(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                && header.substring(7).trim().equals(campaignToken)) {
            return true;
        }
        return campaignToken.equals(SimHttp.queryParams(exchange).get("access_token"));
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
