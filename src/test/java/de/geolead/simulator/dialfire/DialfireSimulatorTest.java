package de.geolead.simulator.dialfire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DialfireSimulatorTest {

    private static final String CAMPAIGN = "DXX5XQHGZ3R4W6R3";
    private static final String TOKEN = "campaign-secret";
    private static final DateTimeFormatter QUERY_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final Pattern POINTER =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\|[0-9a-f]{32}\\|[A-Z0-9]{16}\\|\\d+,\\d+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DialfireSimulator sim;
    private static HttpClient http;

    @BeforeAll
    static void startSimulator() {
        sim = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopSimulator() {
        sim.close();
    }

    @BeforeEach
    void resetSimulator() {
        sim.reset();
    }

    // ------------------------------------------------------------------ helpers

    private static String api(String rest) {
        return "/api/campaigns/" + CAMPAIGN + "/" + rest;
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as("status of %s: %s", response.uri(), response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static JsonNode transactions(String query) throws Exception {
        return json(get(api("contacts/transactions/?" + query), TOKEN));
    }

    private static List<String> results(JsonNode page) {
        List<String> results = new ArrayList<>();
        page.get("results").forEach(r -> results.add(r.asText()));
        return results;
    }

    /** Creates {@code n} contacts in "anrufen" and moves each to success in {@code task}; returns the fired times. */
    /** n contacts moved to success, each in a millisecond of its own (so time windows can split them). */
    private static List<Instant> successes(int n, String task) {
        List<Instant> fired = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = sim.addContact("anrufen", Map.of("plz", String.valueOf(10115 + i)));
            fired.add(sim.succeed(id, task));
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return fired;
    }

    // ------------------------------------------------------------------ auth

    @Nested
    class Auth {

        @Test
        void missingOrWrongTokenIsForbidden() throws Exception {
            HttpResponse<String> missing = get(api("contacts/transactions/"), null);
            assertThat(missing.statusCode()).isEqualTo(403);
            assertThat(missing.body()).isEqualTo("Forbidden");
            assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain"));

            assertThat(get(api("contacts/transactions/"), "wrong").statusCode()).isEqualTo(403);
            assertThat(get(api("contacts/transactions/?access_token=wrong"), null).statusCode()).isEqualTo(403);
        }

        @Test
        void rightTokenAsHeaderOrQueryParameterIsAccepted() throws Exception {
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);
            assertThat(get(api("contacts/transactions/?access_token=" + TOKEN), null).statusCode()).isEqualTo(200);
        }

        @Test
        void tokenOnlyValidForItsOwnCampaign() throws Exception {
            assertThat(get("/api/campaigns/OTHERCAMPAIGN001/contacts/transactions/", TOKEN).statusCode())
                    .isEqualTo(403);
            assertThat(get("/api/tenants/9c6d0163/campaigns/", TOKEN).statusCode()).isEqualTo(403);
        }

        @Test
        void unknownPathInOwnCampaignIsNotFound() throws Exception {
            assertThat(get(api("nothing/here"), TOKEN).statusCode()).isEqualTo(404);
        }

        @Test
        void publicResourcesNeedNoToken() throws Exception {
            sim.putResource("public/info.txt", "hello".getBytes(StandardCharsets.UTF_8), "text/plain");
            sim.putResource("private/info.txt", "secret".getBytes(StandardCharsets.UTF_8), "text/plain");

            HttpResponse<String> open = get(api("resources/public/info.txt"), null);
            assertThat(open.statusCode()).isEqualTo(200);
            assertThat(open.body()).isEqualTo("hello");
            assertThat(get(api("resources/private/info.txt"), null).statusCode()).isEqualTo(403);
        }
    }

    // ------------------------------------------------------------------ transactions feed

    @Nested
    class TransactionsFeed {

        @Test
        void pagesThroughAllTransactionsWithAStableCursor() throws Exception {
            List<Instant> fired = successes(25, "termin_vereinbart");
            String to = QUERY_TIME.format(fired.get(24));

            JsonNode first = transactions("from=2020-01-01&to=" + q(to) + "&limit=10&cursor=");
            assertThat(first.get("count").asInt()).isEqualTo(10);
            assertThat(first.get("cursor").asText()).isNotEmpty();

            // a transaction added between pages must neither shift nor duplicate the remaining items
            String late = sim.addContact("anrufen", Map.of());
            sim.succeed(late, "termin_vereinbart");

            JsonNode second = transactions("from=2020-01-01&to=" + q(to) + "&limit=10&cursor="
                    + q(first.get("cursor").asText()));
            JsonNode third = transactions("from=2020-01-01&to=" + q(to) + "&limit=10&cursor="
                    + q(second.get("cursor").asText()));

            assertThat(second.get("count").asInt()).isEqualTo(10);
            assertThat(third.get("count").asInt()).isEqualTo(5);
            assertThat(third.get("cursor").isTextual()).isTrue();
            assertThat(third.get("cursor").asText()).isEmpty();

            List<String> all = new ArrayList<>(results(first));
            all.addAll(results(second));
            all.addAll(results(third));
            assertThat(all).hasSize(25).doesNotHaveDuplicates().allMatch(p -> POINTER.matcher(p).matches());
            // ordered by fired time, and each pointer's fired equals what succeed() returned
            assertThat(all.stream().map(p -> Instant.parse(p.split("\\|")[0])).toList()).isEqualTo(fired);
        }

        @Test
        void aLateTransactionSortsInAtItsFiredTimeAndAPagerAlreadyPastItMissesIt() throws Exception {
            List<Instant> fired = successes(4, "termin_vereinbart");
            JsonNode first = transactions("from=2020-01-01&limit=2");
            String late = sim.addContact("anrufen", Map.of());
            Instant lateFired = sim.succeedLate(late, "termin_vereinbart", java.time.Duration.ofMinutes(5));
            JsonNode second = transactions("from=2020-01-01&limit=10&cursor=" + q(first.get("cursor").asText()));

            assertThat(lateFired).isBefore(fired.get(0));
            assertThat(results(second)).hasSize(2).noneMatch(p -> p.contains(late));
            List<String> all = results(transactions("from=2020-01-01&limit=10"));
            assertThat(all).hasSize(5);
            assertThat(all.get(0)).startsWith(QUERY_TIME.format(lateFired)).contains("|" + late + "|");
            assertThat(sim.contact(late)).containsEntry("$status", "success");
        }

        @Test
        void aDialfireClockBehindTheWallClockFiresInThePast() throws Exception {
            sim.reset();
            sim.setClockOffset(java.time.Duration.ofMinutes(-10));
            try {
                Instant fired = successes(1, "termin_vereinbart").get(0);

                assertThat(fired).isBefore(Instant.now().minus(java.time.Duration.ofMinutes(9)));
                assertThatThrownBy(() -> sim.setClockOffset(java.time.Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            } finally {
                sim.reset();
                sim.setClockOffset(java.time.Duration.ZERO);
            }
        }

        @Test
        void transactionsAddedDuringPagingShowUpAtTheEndOfAnOpenWindow() throws Exception {
            successes(5, "termin_vereinbart");
            JsonNode first = transactions("from=2020-01-01&limit=3");
            successes(1, "termin_vereinbart");
            JsonNode second = transactions("from=2020-01-01&limit=3&cursor=" + q(first.get("cursor").asText()));

            assertThat(second.get("count").asInt()).isEqualTo(3);
            assertThat(second.get("cursor").asText()).isEmpty();
            Set<String> distinct = new HashSet<>(results(first));
            distinct.addAll(results(second));
            assertThat(distinct).hasSize(6);
        }

        @Test
        void exactlyFullLastPageHasEmptyCursor() throws Exception {
            successes(4, "termin_vereinbart");
            JsonNode first = transactions("limit=2");
            JsonNode second = transactions("limit=2&cursor=" + q(first.get("cursor").asText()));
            assertThat(first.get("cursor").asText()).isNotEmpty();
            assertThat(second.get("count").asInt()).isEqualTo(2);
            assertThat(second.get("cursor").asText()).isEmpty();
        }

        @Test
        void pointerAddressesTheTransactionInsideTheContactsTaskLog() throws Exception {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            Instant fired = sim.succeed(id, "termin_vereinbart");

            String[] pointer = results(transactions("")).get(0).split("\\|");
            assertThat(pointer[0]).isEqualTo(SimFormats.timestamp(fired));
            assertThat(pointer[2]).isEqualTo(id);
            String[] idx = pointer[3].split(",");

            JsonNode contact = json(get(api("contacts/" + id + "/flat_view"), TOKEN));
            JsonNode tx = contact.get("$task_log").get(Integer.parseInt(idx[0]))
                    .get("transactions").get(Integer.parseInt(idx[1]));
            assertThat(tx.get("status").asText()).isEqualTo("success");
            assertThat(tx.get("task").asText()).isEqualTo("termin_vereinbart");
            assertThat(tx.get("fired").asText()).isEqualTo(pointer[0]);
            assertThat(tx.get("version").asText()).isEqualTo(contact.get("$version").asText());
        }

        @Test
        void firedNeverDecreasesNorRunsAheadOfTheClockEvenUnderConcurrency() throws Exception {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                ids.add(sim.addContact("anrufen", Map.of()));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Instant>> futures = new ArrayList<>();
                for (String id : ids) {
                    futures.add(pool.submit(() -> sim.succeed(id, "termin_vereinbart")));
                }
                for (Future<Instant> future : futures) {
                    assertThat(future.get()).isBeforeOrEqualTo(Instant.now());
                }
            } finally {
                pool.shutdownNow();
            }
            List<String> pointers = results(transactions(""));
            List<Instant> feed = pointers.stream().map(p -> Instant.parse(p.split("\\|")[0])).toList();
            assertThat(feed).hasSize(40).isSorted();
            assertThat(pointers.stream().map(p -> p.split("\\|")[2]).toList())
                    .as("one transaction per contact").doesNotHaveDuplicates();
        }

        @Test
        void fromAndToAreAnInclusiveWindow() throws Exception {
            List<Instant> fired = successes(12, "termin_vereinbart");
            String from = QUERY_TIME.format(fired.get(3));
            String to = QUERY_TIME.format(fired.get(7));

            List<String> window = results(transactions("from=" + q(from) + "&to=" + q(to)));
            assertThat(window).hasSize(5);
            assertThat(window.stream().map(p -> Instant.parse(p.split("\\|")[0])).toList())
                    .isEqualTo(fired.subList(3, 8));

            // a trailing Z is tolerated; a plain date means the start of that day (UTC)
            assertThat(results(transactions("from=" + q(from + "Z") + "&to=" + q(to + "Z")))).hasSize(5);
            String dayOfFirst = fired.get(0).atZone(ZoneOffset.UTC).toLocalDate().toString();
            String dayAfterLast = fired.get(11).atZone(ZoneOffset.UTC).toLocalDate().plusDays(1).toString();
            assertThat(results(transactions("from=" + dayAfterLast))).isEmpty();
            assertThat(results(transactions("from=" + dayOfFirst + "&to=" + dayAfterLast))).hasSize(12);
        }

        @Test
        void tasksFilterMatchesTaskNamePrefixes() throws Exception {
            successes(3, "fc_termin");
            successes(2, "qc_check");
            successes(4, "anrufen_nochmal");

            assertThat(results(transactions("tasks=fc_"))).hasSize(3)
                    .allSatisfy(p -> assertThat(sim.contact(p.split("\\|")[2]).get("$task")).isEqualTo("fc_termin"));
            assertThat(results(transactions("tasks=" + q("fc_,qc_")))).hasSize(5);
            assertThat(results(transactions("tasks=zz_"))).isEmpty();
            assertThat(results(transactions(""))).hasSize(9);
        }

        @Test
        void typeAndHiFiltersKeepHumanUpdateTransactions() throws Exception {
            successes(2, "termin_vereinbart");
            assertThat(results(transactions("type=update&hi=true"))).hasSize(2);
            assertThat(results(transactions("type=create"))).isEmpty();
        }

        @Test
        void fieldUpdatesAreTransactionsInTheCurrentTask() throws Exception {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            sim.succeed(id, "termin_vereinbart");
            Instant fired = sim.updateFields(id, Map.of("plz", "10117"));

            assertThat(sim.transactionCount()).isEqualTo(2);
            List<String> pointers = results(transactions("tasks=termin"));
            assertThat(pointers).hasSize(2);
            assertThat(pointers.get(1)).startsWith(SimFormats.timestamp(fired) + "|").endsWith("|" + id + "|1,1");
        }

        @Test
        void badParametersAreRejected() throws Exception {
            assertThat(get(api("contacts/transactions/?from=yesterday"), TOKEN).statusCode()).isEqualTo(400);
            assertThat(get(api("contacts/transactions/?limit=abc"), TOKEN).statusCode()).isEqualTo(400);
            assertThat(get(api("contacts/transactions/?cursor=%21%21"), TOKEN).statusCode()).isEqualTo(400);
        }

        @Test
        void limitIsCappedAt1000() throws Exception {
            successes(3, "termin_vereinbart");
            assertThat(transactions("limit=5000").get("count").asInt()).isEqualTo(3);
        }
    }

    // ------------------------------------------------------------------ contacts

    @Nested
    class Contacts {

        @Test
        void flatViewHasAllSystemFieldsCampaignFieldsAndTaskLog() throws Exception {
            String id = sim.addContact("anrufen", Map.of("plz", "10115", "ort", "Berlin", "vorname", "Erika"));
            assertThat(id).matches("[A-Z0-9]{16}");
            Instant fired = sim.succeed(id, "termin_vereinbart");

            JsonNode views = json(send("POST", api("contacts/flat_view"), TOKEN,
                    JSON.writeValueAsString(List.of(id, "UNKNOWNCONTACT01"))));
            assertThat(views.isArray()).isTrue();
            assertThat(views.size()).isEqualTo(1);
            JsonNode contact = views.get(0);

            for (String field : CampaignState.SYSTEM_FIELDS) {
                assertThat(contact.has(field)).as(field).isTrue();
                assertThat(contact.get(field).isTextual()).as(field + " is a string, never null").isTrue();
            }
            assertThat(contact.get("$id").asText()).isEqualTo(id);
            assertThat(contact.get("$campaign_id").asText()).isEqualTo(CAMPAIGN);
            assertThat(contact.get("$status").asText()).isEqualTo("success");
            assertThat(contact.get("$status_detail").asText()).isEqualTo("Termin");
            assertThat(contact.get("$task").asText()).isEqualTo("termin_vereinbart");
            assertThat(contact.get("$task_id").asText()).matches("[A-Z0-9]{16}");
            assertThat(contact.get("$version").asText()).matches("[A-Z0-9]{16}");
            assertThat(contact.get("$phone").asText()).startsWith("+49");
            assertThat(contact.get("$timezone").asText()).isEqualTo("Europe/Berlin");
            assertThat(contact.get("$entry_date").asText()).isEqualTo(SimFormats.timestamp(fired));
            assertThat(contact.get("$created_date").asText())
                    .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(contact.get("$follow_up_date").asText()).isEmpty();
            assertThat(contact.get("plz").asText()).isEqualTo("10115");
            assertThat(contact.get("ort").asText()).isEqualTo("Berlin");
            assertThat(contact.get("$$anrufen_status").asText()).isEqualTo("open");
            assertThat(contact.get("$$termin_vereinbart_task").asText()).isEqualTo("termin_vereinbart");
            assertThat(contact.get("$$termin_vereinbart_status").asText()).isEqualTo("success");
            assertThat(contact.get("$$termin_vereinbart_status_detail").asText()).isEqualTo("Termin");
            assertThat(contact.get("$$termin_vereinbart_date").asText()).isEqualTo(SimFormats.timestamp(fired));

            JsonNode taskLog = contact.get("$task_log");
            assertThat(taskLog.size()).isEqualTo(2);
            assertThat(taskLog.get(0).get("task_name").asText()).isEqualTo("anrufen");
            assertThat(taskLog.get(0).get("transactions").size()).isZero();
            JsonNode entry = taskLog.get(1);
            assertThat(entry.get("task_name").asText()).isEqualTo("termin_vereinbart");
            assertThat(entry.get("status").asText()).isEqualTo("success");
            assertThat(entry.get("status_detail").asText()).isEqualTo("Termin");
            assertThat(entry.get("fired").asText()).isEqualTo(SimFormats.timestamp(fired));
            JsonNode tx = entry.get("transactions").get(0);
            assertThat(tx.get("type").asText()).isEqualTo("update");
            assertThat(tx.get("isHI").asBoolean()).isTrue();
            assertThat(tx.get("sequence_nr").isNumber()).isTrue();
        }

        @Test
        void versionChangesOnEveryWrite() throws Exception {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            String v1 = (String) sim.contact(id).get("$version");
            sim.updateFields(id, Map.of("plz", "10117", "$comment", "Rückruf"));
            JsonNode contact = json(get(api("contacts/" + id + "/flat_view"), TOKEN));

            assertThat(contact.get("$version").asText()).isNotEqualTo(v1).matches("[A-Z0-9]{16}");
            assertThat(contact.get("plz").asText()).isEqualTo("10117");
            assertThat(contact.get("$comment").asText()).isEqualTo("Rückruf");
            assertThat(contact.get("$status").asText()).isEqualTo("open");
            JsonNode tx = contact.get("$task_log").get(0).get("transactions").get(0);
            assertThat(tx.get("task").asText()).isEqualTo("anrufen");
            assertThat(tx.get("data").get("plz").asText()).isEqualTo("10117");
        }

        @Test
        void moveToSetsStatusAndDefaultDetail() {
            String id = sim.addContact("anrufen", Map.of());
            sim.moveTo(id, "nachfassen", "declined");
            assertThat(sim.contact(id)).containsEntry("$status", "declined")
                    .containsEntry("$status_detail", "Kein Interesse").containsEntry("$task", "nachfassen");
            assertThatThrownBy(() -> sim.moveTo(id, "x", "won")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> sim.succeed("NOSUCHCONTACT001", "x")).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void contactCopyIsDetached() {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            sim.contact(id).put("plz", "99999");
            assertThat(sim.contact(id)).containsEntry("plz", "10115");
        }

        @Test
        void flatViewByRefAndUnknownId() throws Exception {
            String id = sim.addContact("anrufen", Map.of("$ref", "CRM-4711"));
            assertThat(json(get(api("contacts/CRM-4711/flat_view"), TOKEN)).get("$id").asText()).isEqualTo(id);
            assertThat(get(api("contacts/NOSUCHCONTACT001/flat_view"), TOKEN).statusCode()).isEqualTo(404);
        }

        @Test
        void moreThan30IdsIsABadRequest() throws Exception {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 31; i++) {
                ids.add("ID" + i);
            }
            HttpResponse<String> response = send("POST", api("contacts/flat_view"), TOKEN, JSON.writeValueAsString(ids));
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).isEqualTo("too many ids");

            HttpResponse<String> thirty = send("POST", api("contacts/flat_view"), TOKEN,
                    JSON.writeValueAsString(ids.subList(0, 30)));
            assertThat(json(thirty).size()).isZero();
        }
    }

    // ------------------------------------------------------------------ resources

    @Nested
    class Resources {

        @Test
        void servesStoredBytesWithContentType() throws Exception {
            byte[] pdf = "%PDF-1.4 fake lead".getBytes(StandardCharsets.ISO_8859_1);
            sim.putResource("leads/ABC.pdf", pdf, "application/pdf");

            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                            URI.create(sim.baseUrl() + api("resources/leads/ABC.pdf")))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(pdf);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/pdf");
        }

        @Test
        void missingResourceIsNotFound() throws Exception {
            assertThat(get(api("resources/leads/missing.pdf"), TOKEN).statusCode()).isEqualTo(404);
        }

        @Test
        void contentTypeIsGuessedWhenNotGiven() throws Exception {
            sim.putResource("/leads/X.pdf", new byte[] {1, 2, 3}, null);
            assertThat(get(api("resources/leads/X.pdf"), TOKEN).headers().firstValue("Content-Type"))
                    .hasValue("application/pdf");
        }
    }

    // ------------------------------------------------------------------ faults, reset, request log

    @Nested
    class FaultsAndReset {

        @Test
        void failNextAnswersWithTheStatusThenRecovers() throws Exception {
            sim.failNext("transactions", 429, 2);
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(429);
            // other paths are not affected
            assertThat(get(api("contacts/NOSUCHCONTACT001/flat_view"), TOKEN).statusCode()).isEqualTo(404);
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(429);
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);
        }

        @Test
        void injected403HasTheForbiddenBodyAndIsCheckedBeforeAuth() throws Exception {
            sim.failNext("", 503, 1);
            assertThat(get(api("contacts/transactions/"), null).statusCode()).isEqualTo(503);
            sim.failNext("flat_view", 403, 1);
            HttpResponse<String> response = get(api("contacts/X/flat_view"), TOKEN);
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(response.body()).isEqualTo("Forbidden");
        }

        @Test
        void delayNextDelaysThenAnswersNormally() throws Exception {
            sim.delayNext("transactions", Duration.ofMillis(700), 1);
            long start = System.nanoTime();
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(690));

            // used up: the next request is answered without the delay
            start = System.nanoTime();
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(600));
        }

        @Test
        void clearFaultsDropsPendingFaults() throws Exception {
            sim.failNext("transactions", 500, 5);
            sim.clearFaults();
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);
        }

        @Test
        void requestLogRecordsApiRequestsInOrder() throws Exception {
            get(api("contacts/transactions/?limit=5&tasks=fc_"), TOKEN);
            get(api("resources/leads/x.pdf"), null);
            send("POST", "/__sim/reset", null, "");   // control requests are not logged … and reset clears the log
            get(api("contacts/transactions/?limit=1"), TOKEN);
            assertThat(sim.requestLog()).containsExactly("GET " + api("contacts/transactions/?limit=1"));
        }

        @Test
        void resetDropsEverything() throws Exception {
            String id = sim.addContact("anrufen", Map.of());
            sim.succeed(id, "termin_vereinbart");
            sim.putResource("leads/A.pdf", new byte[] {1}, "application/pdf");
            sim.failNext("transactions", 500, 3);
            get(api("contacts/" + id + "/flat_view"), TOKEN);

            sim.reset();

            assertThat(sim.transactionCount()).isZero();
            assertThat(sim.requestLog()).isEmpty();
            assertThatThrownBy(() -> sim.contact(id)).isInstanceOf(IllegalArgumentException.class);
            assertThat(transactions("").get("count").asInt()).isZero();
            assertThat(get(api("resources/leads/A.pdf"), TOKEN).statusCode()).isEqualTo(404);
        }
    }

    // ------------------------------------------------------------------ /__sim control surface

    @Nested
    class ControlSurface {

        @Test
        void seedSucceedAndSeeTheTransaction() throws Exception {
            JsonNode created = json(send("POST", "/__sim/contacts", null,
                    "{\"task\":\"anrufen\",\"fields\":{\"plz\":\"80331\",\"ort\":\"München\"}}"));
            String id = created.get("id").asText();
            assertThat(id).matches("[A-Z0-9]{16}");

            JsonNode moved = json(send("POST", "/__sim/contacts/" + id + "/success", null,
                    "{\"task\":\"termin_vereinbart\"}"));
            String fired = moved.get("fired").asText();

            List<String> pointers = results(transactions("tasks=termin&type=update&hi=true"));
            assertThat(pointers).hasSize(1);
            assertThat(pointers.get(0)).startsWith(fired + "|").contains("|" + id + "|");
            assertThat(sim.contact(id)).containsEntry("$status", "success").containsEntry("ort", "München");
        }

        @Test
        void updateMoveAndReadContact() throws Exception {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            json(send("POST", "/__sim/contacts/" + id + "/update", null, "{\"fields\":{\"plz\":\"20095\"}}"));
            json(send("POST", "/__sim/contacts/" + id + "/move", null, "{\"task\":\"nachfassen\",\"status\":\"failed\"}"));

            JsonNode contact = json(get("/__sim/contacts/" + id, null));
            assertThat(contact.get("plz").asText()).isEqualTo("20095");
            assertThat(contact.get("$status").asText()).isEqualTo("failed");
            assertThat(sim.transactionCount()).isEqualTo(2);

            assertThat(send("POST", "/__sim/contacts/NOSUCHCONTACT001/success", null, "{\"task\":\"x\"}")
                    .statusCode()).isEqualTo(404);
            assertThat(send("POST", "/__sim/contacts", null, "{\"fields\":{}}").statusCode()).isEqualTo(400);
        }

        @Test
        void putResourceKeepsContentType() throws Exception {
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(
                            URI.create(sim.baseUrl() + "/__sim/resources/leads/sub/B.pdf"))
                    .header("Content-Type", "application/pdf")
                    .PUT(HttpRequest.BodyPublishers.ofString("%PDF-B")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(200);

            HttpResponse<String> got = get(api("resources/leads/sub/B.pdf"), TOKEN);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.body()).isEqualTo("%PDF-B");
            assertThat(got.headers().firstValue("Content-Type")).hasValue("application/pdf");
        }

        @Test
        void faultsResetAndRequestsOverHttp() throws Exception {
            json(send("POST", "/__sim/faults", null, "{\"path\":\"transactions\",\"status\":500,\"times\":1}"));
            json(send("POST", "/__sim/faults", null, "{\"path\":\"transactions\",\"delayMs\":300,\"times\":1}"));

            long start = System.nanoTime();
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(500);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
            assertThat(get(api("contacts/transactions/"), TOKEN).statusCode()).isEqualTo(200);

            JsonNode requests = json(get("/__sim/requests", null));
            assertThat(requests.size()).isEqualTo(2);
            assertThat(requests.get(0).asText()).isEqualTo("GET " + api("contacts/transactions/"));

            sim.addContact("anrufen", Map.of());
            json(send("POST", "/__sim/reset", null, ""));
            assertThat(sim.requestLog()).isEmpty();
            assertThat(json(get("/__sim/requests", null)).size()).isZero();
        }
    }

    @Test
    void servesConcurrentRequestsWhileContactsChange() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(sim.addContact("anrufen", Map.of("plz", "1011" + (i % 10))));
        }
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = ids.get(i % ids.size());
                int kind = i % 4;
                statuses.add(clients.submit(() -> switch (kind) {
                    case 0 -> get(api("contacts/transactions/?limit=5"), TOKEN).statusCode();
                    case 1 -> get(api("contacts/" + id + "/flat_view"), TOKEN).statusCode();
                    case 2 -> send("POST", api("contacts/flat_view"), TOKEN, JSON.writeValueAsString(ids)).statusCode();
                    default -> {
                        sim.updateFields(id, Map.of("ort", "Berlin"));
                        yield 200;
                    }
                }));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
        }
        assertThat(sim.transactionCount()).isEqualTo(50);
        assertThat(sim.requestLog()).hasSize(150);
        assertThat(results(transactions(""))).hasSize(50).doesNotHaveDuplicates();
    }

    @Test
    void closeReleasesThePort() throws Exception {
        DialfireSimulator other = DialfireSimulator.start(0, "OTHERCAMPAIGN001", "other-token");
        int port = other.port();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(other.baseUrl() + "/__sim/requests")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        long start = System.nanoTime();
        other.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        try (DialfireSimulator again = DialfireSimulator.start(port, "OTHERCAMPAIGN001", "other-token")) {
            assertThat(again.port()).isEqualTo(port);
        }
    }

    @Test
    void baseUrlAndPort() {
        assertThat(sim.baseUrl()).isEqualTo("http://127.0.0.1:" + sim.port());
        assertThat(sim.port()).isPositive();
        assertThat(sim.campaignId()).isEqualTo(CAMPAIGN);
        assertThat(sim.campaignToken()).isEqualTo(TOKEN);
    }
}
