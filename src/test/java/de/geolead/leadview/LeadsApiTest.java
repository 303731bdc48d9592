package de.geolead.leadview;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import de.geolead.testing.ApiClient;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GET /api/leads and GET /api/leads/{id} over HTTP against the real app and PostgreSQL: paging, filters, refusals and
 * a lead's timeline built from rows the test writes (as distribution, delivery, returns and lead actions would).
 */
class LeadsApiTest {

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final String CONTACT = "{\"vorname\":\"Erika\",\"nachname\":\"Geheimnis\",\"strasse\":\"Heimlichweg 7\",\"$phone\":\"+4930999888\"}";

    /** A lead the test stored, as the list should show it. */
    record Stored(long id, String plz, String status, Instant createdAt) {
    }

    final List<Stored> stored = new ArrayList<>();
    int sequence;

    @BeforeAll
    static void start() {
        Map<String, String> props = new HashMap<>(ApiClient.settings(dataDir));
        props.put("geolead.sweep.cron", RunningApp.NEVER);
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    Stored lead(String plz, String status, Instant createdAt) {
        Timestamp at = Timestamp.from(createdAt);
        long id = (Long) db.row("INSERT INTO leads (plz, dialfire_id, dialfire_version, contact, status, status_reason, created_at, updated_at) "
                        + "VALUES (?, ?, 'V1', ?::jsonb, ?, ?, ?, ?) RETURNING id", plz, "DF" + (++sequence), CONTACT, status,
                "unroutable".equals(status) ? "no valid PLZ in the contact nor in the PDF" : null, at, at).get("id");
        Stored lead = new Stored(id, plz, status, createdAt);
        stored.add(lead);
        return lead;
    }

    /** 130 leads over a few days, some sharing the same instant, in several statuses and PLZs. */
    void manyLeads() {
        Instant base = Instant.parse("2026-03-08T12:00:00.123456Z");
        String[] plzs = {"80331", "80999", "10115", "50667", "81000"};
        String[] statuses = {"distributed", "pending", "unassigned", "distributed", "parked", "unroutable"};
        for (int i = 0; i < 130; i++) {
            // every third lead shares its instant with the one before: the id decides
            Instant at = base.plus(Duration.ofMinutes(47L * (i - i / 3)));
            lead(plzs[i % plzs.length], statuses[i % statuses.length], at);
        }
    }

    /** The stored leads matching {@code filter}, newest first (created_at DESC, id DESC). */
    List<Long> expected(Predicate<Stored> filter) {
        return stored.stream().filter(filter)
                .sorted(Comparator.comparing(Stored::createdAt).thenComparingLong(Stored::id).reversed())
                .map(Stored::id).toList();
    }

    static JsonObject get(String path) {
        ApiClient.Answer answer = ApiClient.viewer(app).get(path);
        assertThat(answer.status()).as(path + " " + answer.text()).isEqualTo(200);
        return answer.json().getAsJsonObject();
    }

    /** Every page of the list with {@code query}, {@code limit} at a time; the ids in the order they came. */
    static List<Long> allPages(String query, int limit) {
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonObject page = get("/api/leads?limit=" + limit + query + (cursor == null ? "" : "&cursor=" + cursor));
            JsonArray items = page.getAsJsonArray("items");
            assertThat(items.size()).isLessThanOrEqualTo(limit);
            items.forEach(item -> ids.add(item.getAsJsonObject().get("id").getAsLong()));
            cursor = page.get("nextCursor").isJsonNull() ? null : page.get("nextCursor").getAsString();
            assertThat(++pages).as("pages").isLessThan(1000);
        } while (cursor != null);
        return ids;
    }

    @Test
    void pagesVisitEveryLeadOnceNewestFirstWithAndWithoutFilters() {
        manyLeads();
        assertThat(allPages("", 7)).containsExactlyElementsOf(expected(l -> true));
        assertThat(allPages("", 200)).containsExactlyElementsOf(expected(l -> true));
        // exactly one full page: the next cursor of the last page is null, no empty page after it
        assertThat(get("/api/leads?limit=130").get("nextCursor").isJsonNull()).isTrue();
        assertThat(get("/api/leads?limit=129").get("nextCursor").isJsonNull()).isFalse();
        assertThat(get("/api/leads").getAsJsonArray("items")).hasSize(50);

        assertThat(allPages("&status=distributed", 6)).containsExactlyElementsOf(expected(l -> l.status().equals("distributed")))
                .isNotEmpty();
        assertThat(allPages("&status=parked", 4)).containsExactlyElementsOf(expected(l -> l.status().equals("parked"))).isNotEmpty();
        assertThat(allPages("&plz=80", 5)).containsExactlyElementsOf(expected(l -> l.plz().startsWith("80"))).isNotEmpty();
        assertThat(allPages("&plz=80331&status=distributed", 3))
                .containsExactlyElementsOf(expected(l -> l.plz().equals("80331") && l.status().equals("distributed"))).isNotEmpty();
        Instant from = Instant.parse("2026-03-09T10:00:00Z");
        Instant to = Instant.parse("2026-03-10T10:00:00.123456Z");
        assertThat(allPages("&plz=8&from=" + from + "&to=" + to, 4))
                .containsExactlyElementsOf(expected(l -> l.plz().startsWith("8") && !l.createdAt().isBefore(from)
                        && !l.createdAt().isAfter(to))).isNotEmpty();
    }

    @Test
    void leadsStoredBetweenTwoPagesAreNeitherSkippedNorRepeated() {
        manyLeads();
        JsonObject first = get("/api/leads?limit=10");
        List<Long> seen = new ArrayList<>();
        first.getAsJsonArray("items").forEach(item -> seen.add(item.getAsJsonObject().get("id").getAsLong()));
        Instant lastSeen = Instant.parse(first.getAsJsonArray("items").get(9).getAsJsonObject().get("createdAt").getAsString());

        // newer than the page (arrives now), at the very instant of the page's last lead (a higher id sorts before it),
        // and older than the page (a late row further down the list)
        Stored newer = lead("80331", "pending", Instant.now().truncatedTo(ChronoUnit.MICROS));
        Stored sameInstant = lead("80331", "pending", lastSeen);
        Stored older = lead("80331", "pending", Instant.parse("2026-03-08T12:30:00Z"));

        String cursor = first.get("nextCursor").getAsString();
        List<Long> rest = new ArrayList<>();
        do {
            JsonObject page = get("/api/leads?limit=10&cursor=" + cursor);
            page.getAsJsonArray("items").forEach(item -> rest.add(item.getAsJsonObject().get("id").getAsLong()));
            cursor = page.get("nextCursor").isJsonNull() ? null : page.get("nextCursor").getAsString();
        } while (cursor != null);

        List<Long> all = new ArrayList<>(seen);
        all.addAll(rest);
        stored.remove(newer);
        stored.remove(sameInstant);
        assertThat(all).doesNotHaveDuplicates().containsExactlyElementsOf(expected(l -> true)).contains(older.id());
        assertThat(rest).doesNotContain(newer.id(), sameInstant.id());
    }

    @Test
    void datesAreWholeDaysInTheDeliveryZoneWithToInclusive() {
        // Europe/Berlin: 2026-03-10 is 2026-03-09T23:00Z .. 2026-03-10T23:00Z
        lead("10115", "pending", Instant.parse("2026-03-09T22:59:59.999999Z"));
        Stored firstOfDay = lead("10115", "pending", Instant.parse("2026-03-09T23:00:00Z"));
        Stored lastOfTo = lead("10115", "pending", Instant.parse("2026-03-11T22:59:59.999999Z"));
        lead("10115", "pending", Instant.parse("2026-03-11T23:00:00Z"));
        assertThat(allPages("&from=2026-03-10&to=2026-03-11", 50)).containsExactly(lastOfTo.id(), firstOfDay.id());
        assertThat(allPages("&from=2026-03-10&to=2026-03-10", 50)).containsExactly(firstOfDay.id());
        assertThat(allPages("&to=2026-03-09T23:00:00Z", 50)).hasSize(2).contains(firstOfDay.id());
    }

    @Test
    void theListShowsNoHomeownerData() {
        Stored lead = lead("80331", "unroutable", Instant.parse("2026-03-09T10:00:00Z"));
        ApiClient.Answer answer = ApiClient.viewer(app).get("/api/leads");
        assertThat(answer.status()).isEqualTo(200);
        JsonObject item = answer.json().getAsJsonObject().getAsJsonArray("items").get(0).getAsJsonObject();
        assertThat(item.keySet()).containsExactlyInAnyOrder("id", "dialfireId", "status", "statusReason", "plz", "createdAt", "mailsSent");
        assertThat(item.get("id").getAsLong()).isEqualTo(lead.id());
        assertThat(item.get("status").getAsString()).isEqualTo("unroutable");
        assertThat(item.get("statusReason").getAsString()).isEqualTo("no valid PLZ in the contact nor in the PDF");
        assertThat(item.get("createdAt").getAsString()).isEqualTo("2026-03-09T10:00:00Z");
        assertThat(item.get("mailsSent").getAsLong()).isZero();
        assertThat(answer.text()).doesNotContain("Erika", "Geheimnis", "Heimlichweg", "4930999888");
    }

    @Test
    void badQueriesAre400WithTheReason() {
        lead("80331", "pending", Instant.parse("2026-03-09T10:00:00Z"));
        Map<String, String> refusals = Map.of(
                "status=sent", "status must be one of pending, distributed, unassigned, expired, unroutable, pdf_missing, invalid, parked, no_consent",
                "plz=80a", "plz must be 1 to 5 digits",
                "plz=801155", "plz must be 1 to 5 digits",
                "from=2026-02-30", "from must be an ISO date",
                "to=yesterday", "to must be an ISO date",
                "from=2026-03-10&to=2026-03-09", "from (2026-03-10) is after to (2026-03-09)",
                "limit=0", "limit must be a whole number from 1 to 200",
                "limit=500", "limit must be a whole number from 1 to 200",
                "cursor=garbled", "cursor is not one this API handed out");
        refusals.forEach((query, detail) -> {
            ApiClient.Answer answer = ApiClient.viewer(app).get("/api/leads?" + query);
            assertThat(answer.status()).as(query).isEqualTo(400);
            assertThat(answer.error()).isEqualTo("bad_request");
            assertThat(answer.json().getAsJsonObject().get("detail").getAsString()).as(query).contains(detail);
        });
        assertThat(ApiClient.of(app, null).get("/api/leads").status()).isEqualTo(401);
    }

    @Test
    void anUnknownLeadIs404AndAnIdThatIsNoNumber400() {
        ApiClient.Answer unknown = ApiClient.viewer(app).get("/api/leads/999999");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).isEqualTo("not_found");
        assertThat(unknown.json().getAsJsonObject().get("detail").getAsString()).isEqualTo("no lead 999999");
        for (String id : new String[] {"abc", "0", "-1", "99999999999999999999", "1.5"}) {
            ApiClient.Answer bad = ApiClient.viewer(app).get("/api/leads/" + id);
            assertThat(bad.status()).as(id).isEqualTo(400);
            assertThat(bad.error()).isEqualTo("bad_request");
        }
        assertThat(ApiClient.of(app, null).get("/api/leads/1").status()).isEqualTo(401);
    }

    /**
     * imported → planned head start + follower → head start sent → follower skipped → a return filed and approved →
     * a resend → parked: the rows as the other stages write them, and the timeline in exactly that order.
     */
    @Test
    void theTimelineTellsTheLeadsStoryInOrder() {
        Instant t0 = Instant.parse("2026-11-20T08:00:00Z");
        long headStart = data.customer("Anna Kopf", "paid");
        long follower = data.customer("Bernd Folger", "past_due");
        long leadId = lead("80331", "parked", t0).id();
        db.update("UPDATE leads SET status_reason = 'parked by ops-admin: Makler meldet Dublette', updated_at = ? WHERE id = ?",
                ts(t0.plus(Duration.ofDays(2))), leadId);
        long first = (Long) db.row("""
                INSERT INTO lead_distributions (lead_id, customer_id, kind, role, status, created_at, scheduled_for, enqueued_at,
                                                claimed_at, sent_at, message_id, attempts, due_at)
                VALUES (?, ?, 'planned', 'head_start', 'sent', ?, ?, ?, ?, ?, '<lead-1@geolead.test>', 1, ?) RETURNING id""",
                leadId, headStart, ts(t0.plusSeconds(60)), ts(t0.plusSeconds(60)), ts(t0.plusSeconds(60)), ts(t0.plusSeconds(90)),
                ts(t0.plusSeconds(95)), ts(t0.plusSeconds(60))).get("id");
        long skipped = (Long) db.row("""
                INSERT INTO lead_distributions (lead_id, customer_id, kind, role, status, status_reason, created_at, scheduled_for, enqueued_at)
                VALUES (?, ?, 'planned', 'follower', 'skipped', 'agent is past_due, not paid', ?, ?, ?) RETURNING id""",
                leadId, follower, ts(t0.plusSeconds(60)), ts(t0.plus(Duration.ofHours(3))), ts(t0.plusSeconds(60))).get("id");
        long returnId = (Long) db.row("""
                INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, note, channel, filed_by, filed_at, status,
                                          decided_at, decided_by, credit_cents, stripe_credit_id)
                VALUES (?, ?, ?, 'unreachable', 'nie erreicht', 'link', ?, ?, 'approved', ?, 'ops-admin', 1500, 'cbtxn_1') RETURNING id""",
                leadId, headStart, first, "agent-" + headStart, ts(t0.plus(Duration.ofDays(1))),
                ts(t0.plus(Duration.ofDays(1)).plus(Duration.ofHours(1)))).get("id");
        Instant resendAt = t0.plus(Duration.ofDays(1)).plus(Duration.ofHours(2));
        long resend = (Long) db.row("""
                INSERT INTO lead_distributions (lead_id, customer_id, kind, resend_of, requested_by, role, status, created_at, scheduled_for,
                                                enqueued_at, claimed_at, sent_at, message_id, attempts)
                VALUES (?, ?, 'resend', ?, 'ops-admin', 'only', 'sent', ?, ?, ?, ?, ?, '<lead-1-r@geolead.test>', 1) RETURNING id""",
                leadId, headStart, first, ts(resendAt), ts(resendAt), ts(resendAt), ts(resendAt.plusSeconds(5)),
                ts(resendAt.plusSeconds(6))).get("id");
        audit(resendAt, "lead.resend", "lead", leadId, "{\"distributionId\":" + resend + "}");
        audit(t0.plus(Duration.ofDays(1)), "return.file", "return", returnId, "{\"status\":\"open\"}");
        audit(t0.plus(Duration.ofDays(2)), "lead.park", "lead", leadId,
                "{\"status\":\"parked\",\"statusReason\":\"parked by ops-admin: Makler meldet Dublette\"}");

        ApiClient.Answer answer = ApiClient.viewer(app).get("/api/leads/" + leadId);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonObject lead = answer.json().getAsJsonObject();
        List<String> timeline = new ArrayList<>();
        for (JsonElement e : lead.getAsJsonArray("timeline")) {
            JsonObject event = e.getAsJsonObject();
            timeline.add(event.get("at").getAsString() + " " + event.get("type").getAsString() + " " + event.get("text").getAsString());
        }
        assertThat(timeline).containsExactly(
                "2026-11-20T08:00:00Z imported imported from Dialfire contact DF1",
                "2026-11-20T08:01:00Z planned planned for customer " + headStart + " (Anna Kopf) as head start, scheduled for 2026-11-20T08:01:00Z",
                "2026-11-20T08:01:00Z planned planned for customer " + follower + " (Bernd Folger) as follower, scheduled for 2026-11-20T11:00:00Z",
                "2026-11-20T08:01:30Z claimed mail to customer " + headStart + " (Anna Kopf) taken for sending (attempt 1)",
                "2026-11-20T08:01:35Z sent mail to customer " + headStart + " (Anna Kopf) sent, Message-ID <lead-1@geolead.test>",
                "2026-11-20T11:00:00Z skipped mail to customer " + follower + " (Bernd Folger) skipped: agent is past_due, not paid",
                "2026-11-21T08:00:00Z return_filed return " + returnId + " filed for customer " + headStart + " (unreachable, via link)",
                "2026-11-21T09:00:00Z return_approved return " + returnId + " approved by ops-admin, credit 15.00 EUR",
                "2026-11-21T10:00:00Z resend_requested resend to customer " + headStart + " (Anna Kopf) requested by ops-admin",
                "2026-11-21T10:00:05Z claimed mail to customer " + headStart + " (Anna Kopf) taken for sending (attempt 1)",
                "2026-11-21T10:00:06Z sent mail to customer " + headStart + " (Anna Kopf) sent, Message-ID <lead-1-r@geolead.test>",
                "2026-11-22T08:00:00Z parked parked by ops-admin: Makler meldet Dublette");
        JsonArray events = lead.getAsJsonArray("timeline");
        JsonObject resendEvent = events.get(8).getAsJsonObject();
        assertThat(resendEvent.get("actor").getAsString()).isEqualTo("ops-admin");
        assertThat(resendEvent.get("distributionId").getAsLong()).isEqualTo(resend);
        assertThat(resendEvent.get("customerId").getAsLong()).isEqualTo(headStart);
        assertThat(resendEvent.has("returnId")).isFalse();
        assertThat(events.get(6).getAsJsonObject().get("returnId").getAsLong()).isEqualTo(returnId);
        assertThat(events.get(6).getAsJsonObject().get("actor").getAsString()).isEqualTo("agent-" + headStart);
        assertThat(events.get(0).getAsJsonObject().keySet()).containsExactlyInAnyOrder("at", "type", "text");

        // the fields around it
        assertThat(lead.get("id").getAsLong()).isEqualTo(leadId);
        assertThat(lead.get("dialfireId").getAsString()).isEqualTo("DF1");
        assertThat(lead.get("status").getAsString()).isEqualTo("parked");
        assertThat(lead.get("statusReason").getAsString()).isEqualTo("parked by ops-admin: Makler meldet Dublette");
        assertThat(lead.get("plz").getAsString()).isEqualTo("80331");
        assertThat(lead.get("createdAt").getAsString()).isEqualTo("2026-11-20T08:00:00Z");
        assertThat(lead.get("updatedAt").getAsString()).isEqualTo("2026-11-22T08:00:00Z");
        assertThat(lead.getAsJsonObject("contact").get("nachname").getAsString()).isEqualTo("Geheimnis");
        JsonArray mails = lead.getAsJsonArray("mails");
        assertThat(mails).hasSize(3);
        JsonObject mail = mails.get(0).getAsJsonObject();
        assertThat(mail.get("id").getAsLong()).isEqualTo(first);
        assertThat(mail.get("customerId").getAsLong()).isEqualTo(headStart);
        assertThat(mail.get("customerName").getAsString()).isEqualTo("Anna Kopf");
        assertThat(mail.get("role").getAsString()).isEqualTo("head_start");
        assertThat(mail.get("kind").getAsString()).isEqualTo("planned");
        assertThat(mail.get("status").getAsString()).isEqualTo("sent");
        assertThat(mail.get("reason").isJsonNull()).isTrue();
        assertThat(mail.get("scheduledFor").getAsString()).isEqualTo("2026-11-20T08:01:00Z");
        assertThat(mail.get("sentAt").getAsString()).isEqualTo("2026-11-20T08:01:35Z");
        assertThat(mail.get("messageId").getAsString()).isEqualTo("<lead-1@geolead.test>");
        assertThat(mail.get("attempts").getAsInt()).isEqualTo(1);
        assertThat(mails.get(1).getAsJsonObject().get("id").getAsLong()).isEqualTo(skipped);
        assertThat(mails.get(1).getAsJsonObject().get("reason").getAsString()).isEqualTo("agent is past_due, not paid");
        assertThat(mails.get(2).getAsJsonObject().get("kind").getAsString()).isEqualTo("resend");
        JsonObject returned = lead.getAsJsonArray("returns").get(0).getAsJsonObject();
        assertThat(returned.keySet()).containsExactlyInAnyOrder("id", "customerId", "reason", "status", "filedAt");
        assertThat(returned.get("id").getAsLong()).isEqualTo(returnId);
        assertThat(returned.get("reason").getAsString()).isEqualTo("unreachable");
        assertThat(returned.get("status").getAsString()).isEqualTo("approved");
        assertThat(returned.get("filedAt").getAsString()).isEqualTo("2026-11-21T08:00:00Z");

        // the list counts its sent mails (the resend too)
        assertThat(get("/api/leads").getAsJsonArray("items").get(0).getAsJsonObject().get("mailsSent").getAsLong()).isEqualTo(2);
    }

    static void audit(Instant at, String action, String entity, long entityId, String after) {
        db.update("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) VALUES (?, 'ops-admin', ?, ?, ?, ?::jsonb)",
                ts(at), action, entity, entityId, after);
    }

    static Timestamp ts(Instant instant) {
        return Timestamp.from(instant);
    }
}
