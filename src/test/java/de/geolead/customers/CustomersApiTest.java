package de.geolead.customers;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import de.geolead.distribution.MonthlyCap;
import de.geolead.testing.ApiClient;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agents' endpoints of the operations API over HTTP against the real application and PostgreSQL: list, detail,
 * pause, end of pause, monthly cap, and every refusal changing nothing. The delivery zone is fixed far from UTC
 * (UTC+14), so "this month" is visibly the zone's month and not UTC's.
 */
class CustomersApiTest {

    static final ZoneId ZONE = ZoneId.of("Pacific/Kiritimati");

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static ApiClient admin;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        Map<String, String> props = new HashMap<>(ApiClient.settings(dataDir));
        props.put("geolead.delivery.zone", ZONE.getId());
        app = RunningApp.start(dataDir, props);
        admin = ApiClient.admin(app);
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

    static JsonObject object(ApiClient.Answer answer) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        return answer.json().getAsJsonObject();
    }

    /** What a refused call must leave alone: the agent's settings and the audit log. */
    static Map<String, Object> state(long customerId) {
        Map<String, Object> state = new HashMap<>(db.row("SELECT paused_until, monthly_cap FROM customers WHERE id = ?", customerId));
        state.put("audit", db.count("SELECT count(*) FROM audit_log"));
        return state;
    }

    static void assertRefused(ApiClient.Answer answer, int status, long customerId, Map<String, Object> before) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(answer.json().getAsJsonObject().get("detail").getAsString()).isNotBlank();
        assertThat(state(customerId)).as("nothing changed").isEqualTo(before);
    }

    /** A body the REST binding cannot read as the request record: refused before the route (400, its body is Camel's). */
    static void assertUnreadable(ApiClient.Answer answer, long customerId, Map<String, Object> before) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(400);
        assertThat(answer.error()).isEqualTo("bad_request");
        assertThat(state(customerId)).as("nothing changed").isEqualTo(before);
    }

    static long mail(long leadId, long customerId, String kind, String status, Instant createdAt, Long resendOf) {
        return (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, role, status, kind, resend_of, created_at, sent_at) "
                        + "VALUES (?, ?, ?, 'only', ?, ?, ?, ?, ?) RETURNING id", leadId, customerId, Timestamp.from(createdAt), status, kind,
                resendOf, Timestamp.from(createdAt), "sent".equals(status) ? Timestamp.from(createdAt) : null).get("id");
    }

    static double actions(String action) {
        MeterRegistry meters = app.context().getRegistry().findSingleByType(MeterRegistry.class);
        Counter counter = meters.find("geolead.api.actions").tag("action", action).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void theListHasEveryAgentByNameAndFiltersByBillingStatus() {
        long bert = data.customer("Bert Makler", "paid");
        long anna1 = data.customer("Anna Makler", "unpaid");
        long anna2 = data.customer("Anna Makler", "past_due");
        db.update("UPDATE customers SET monthly_cap = 5, paused_until = now() + interval '3 days' WHERE id = ?", bert);
        long lead = data.lead("10115", "Berlin");
        mail(lead, bert, "planned", "sent", Instant.now(), null);

        JsonArray items = object(admin.get("/api/customers")).getAsJsonArray("items");

        List<Long> ids = new ArrayList<>();
        items.forEach(item -> ids.add(item.getAsJsonObject().get("id").getAsLong()));
        assertThat(ids).containsExactly(anna1, anna2, bert);
        JsonObject b = items.get(2).getAsJsonObject();
        assertThat(b.get("name").getAsString()).isEqualTo("Bert Makler");
        assertThat(b.get("status").getAsString()).isEqualTo("paid");
        assertThat(b.get("monthlyCap").getAsInt()).isEqualTo(5);
        assertThat(Instant.parse(b.get("pausedUntil").getAsString())).isAfter(Instant.now());
        assertThat(b.get("leadsThisMonth").getAsLong()).isEqualTo(1);
        assertThat(b.has("email")).as("no e-mail in the list").isFalse();
        assertThat(items.get(0).getAsJsonObject().get("monthlyCap").isJsonNull()).isTrue();

        JsonArray paid = object(admin.get("/api/customers?status=paid")).getAsJsonArray("items");
        assertThat(paid).hasSize(1);
        assertThat(paid.get(0).getAsJsonObject().get("id").getAsLong()).isEqualTo(bert);
        assertThat(object(ApiClient.viewer(app).get("/api/customers?status=past_due")).getAsJsonArray("items")).hasSize(1);

        ApiClient.Answer bad = admin.get("/api/customers?status=canceled");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().getAsJsonObject().get("detail").getAsString()).contains("paid, past_due, unpaid");
    }

    @Test
    void theDetailCountsThisMonthsMailsInTheZoneAndTheReturnsOfNinetyDays() {
        long agent = data.customer("Detail Agent", "paid");
        db.update("UPDATE customers SET last_payment_date = '2026-11-01T10:00:00Z' WHERE id = ?", agent);
        data.subscription(agent, "80331");
        db.update("INSERT INTO subscriptions (customer_id, plz, start_date, end_date, status) VALUES (?, '10115', '2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z', 'canceled')", agent);
        Instant now = Instant.now();
        Instant monthStart = MonthlyCap.startOfMonth(now, ZONE);
        long sentNow = mail(data.lead("80331", "München"), agent, "planned", "sent", now, null);
        mail(data.lead("80331", "München"), agent, "manual", "pending", now, null);
        mail(data.lead("80331", "München"), agent, "planned", "skipped", now, null);
        long resent = (Long) db.row("SELECT lead_id FROM lead_distributions WHERE id = ?", sentNow).get("lead_id");
        mail(resent, agent, "resend", "sent", now, sentNow);
        mail(data.lead("80331", "München"), agent, "planned", "sent", monthStart.minusSeconds(1), null); // last month in the zone
        mail(data.lead("80331", "München"), agent, "planned", "sent", monthStart, null); // this month's first instant
        long oldLead = data.lead("80331", "München");
        long old = mail(oldLead, agent, "planned", "sent", now.minus(100, ChronoUnit.DAYS), null);
        db.update("INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, channel, filed_by) VALUES (?, ?, ?, 'unreachable', 'api', 'ops-admin')",
                resent, agent, sentNow);
        db.update("INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, channel, filed_by, filed_at) "
                + "VALUES (?, ?, ?, 'duplicate', 'api', 'ops-admin', now() - interval '95 days')", oldLead, agent, old);

        JsonObject detail = object(admin.get("/api/customers/" + agent));

        assertThat(detail.get("id").getAsLong()).isEqualTo(agent);
        assertThat(detail.get("name").getAsString()).isEqualTo("Detail Agent");
        assertThat(detail.get("email").getAsString()).isEqualTo(data.email(agent));
        assertThat(detail.get("status").getAsString()).isEqualTo("paid");
        assertThat(detail.get("lastPaymentDate").getAsString()).isEqualTo("2026-11-01T10:00:00Z");
        assertThat(detail.get("pausedUntil").isJsonNull()).isTrue();
        assertThat(detail.get("monthlyCap").isJsonNull()).isTrue();
        assertThat(detail.get("leadsThisMonth").getAsLong()).as("sent, pending and the month's first instant; not skipped, resent or last month's")
                .isEqualTo(3);
        JsonArray subscriptions = detail.getAsJsonArray("subscriptions");
        assertThat(subscriptions).hasSize(2);
        JsonObject canceled = subscriptions.get(0).getAsJsonObject();
        assertThat(canceled.get("plz").getAsString()).isEqualTo("10115");
        assertThat(canceled.get("status").getAsString()).isEqualTo("canceled");
        assertThat(canceled.get("startDate").getAsString()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(canceled.get("endDate").getAsString()).isEqualTo("2026-06-01T00:00:00Z");
        assertThat(canceled.get("currentPeriodEnd").isJsonNull()).isTrue();
        assertThat(subscriptions.get(1).getAsJsonObject().get("plz").getAsString()).isEqualTo("80331");
        JsonObject returns = detail.getAsJsonObject("returns");
        assertThat(returns.get("last90Days").getAsLong()).isEqualTo(1);
        assertThat(returns.get("leadsLast90Days").getAsLong()).as("sent now, last month and this month's first; not the resend")
                .isEqualTo(3);
        assertThat(returns.get("rate").getAsDouble()).isEqualTo(0.333);
    }

    @Test
    void aRunOutPauseIsNoPauseAndUnknownOrGarbledIdsAreRefused() {
        long agent = data.customer("Back Agent", "paid");
        db.update("UPDATE customers SET paused_until = now() - interval '1 hour' WHERE id = ?", agent);
        JsonObject detail = object(admin.get("/api/customers/" + agent));
        assertThat(detail.get("pausedUntil").isJsonNull()).isTrue();
        assertThat(detail.getAsJsonObject("returns").get("rate").getAsDouble()).isZero();

        ApiClient.Answer unknown = admin.get("/api/customers/" + (agent + 1000));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).isEqualTo("not_found");
        assertThat(admin.get("/api/customers/abc").status()).isEqualTo(400);
        assertThat(admin.get("/api/customers/99999999999999999999999").status()).isEqualTo(400);
    }

    @Test
    void aPauseUntilADateStartsThatDayInTheZoneAndIsAudited() {
        long agent = data.customer("Holiday Agent", "paid");
        LocalDate day = LocalDate.now(ZONE).plusDays(10);
        double counted = actions("customer.pause");

        try (LogCapture log = LogCapture.open()) {
            JsonObject detail = object(admin.put("/api/customers/" + agent + "/pause", "{\"until\": \"" + day + "\"}"));

            Instant expected = day.atStartOfDay(ZONE).toInstant();
            assertThat(detail.get("id").getAsLong()).isEqualTo(agent);
            assertThat(detail.get("pausedUntil").getAsString()).isEqualTo(expected.toString());
            assertThat(((Timestamp) db.row("SELECT paused_until FROM customers WHERE id = ?", agent).get("paused_until")).toInstant()).isEqualTo(expected);
            Map<String, Object> audit = db.row("SELECT actor, action, entity, entity_id, before::text AS before, after::text AS after FROM audit_log");
            assertThat(audit.get("actor")).isEqualTo("ops-admin");
            assertThat(audit.get("action")).isEqualTo("customer.pause");
            assertThat(audit.get("entity")).isEqualTo("customer");
            assertThat(audit.get("entity_id")).isEqualTo(agent);
            assertThat(audit.get("before")).isEqualTo("{\"pausedUntil\": null}");
            assertThat(audit.get("after")).isEqualTo("{\"pausedUntil\": \"" + expected + "\"}");
            assertThat(log.linesContaining("API customer.pause customer " + agent + " by ops-admin"))
                    .singleElement().asString().startsWith("INFO de.geolead.api").contains(expected.toString())
                    .doesNotContain(data.email(agent));
        }
        assertThat(actions("customer.pause")).isEqualTo(counted + 1);

        // an instant with an offset; then the same again changes nothing and records nothing
        object(admin.put("/api/customers/" + agent + "/pause", "{\"until\": \"" + day + "T09:30:00+02:00\"}"));
        Instant offset = Instant.parse(day + "T07:30:00Z");
        assertThat(((Timestamp) db.row("SELECT paused_until FROM customers WHERE id = ?", agent).get("paused_until")).toInstant()).isEqualTo(offset);
        assertThat(db.row("SELECT before::text AS b FROM audit_log ORDER BY id DESC LIMIT 1").get("b"))
                .isEqualTo("{\"pausedUntil\": \"" + day.atStartOfDay(ZONE).toInstant() + "\"}");
        object(admin.put("/api/customers/" + agent + "/pause", "{\"until\": \"" + offset + "\"}"));
        assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(2);
        assertThat(actions("customer.pause")).isEqualTo(counted + 2);
    }

    @Test
    void aBadPauseIsRefusedAndChangesNothing() {
        long agent = data.customer("Careful Agent", "paid");
        Map<String, Object> before = state(agent);
        String path = "/api/customers/" + agent + "/pause";

        assertRefused(admin.put(path, "{\"until\": \"" + Instant.now().minusSeconds(60) + "\"}"), 400, agent, before);
        assertRefused(admin.put(path, "{\"until\": \"" + LocalDate.now(ZONE) + "\"}"), 400, agent, before); // today began already
        assertRefused(admin.put(path, "{\"until\": \"next monday\"}"), 400, agent, before);
        assertRefused(admin.put(path, "{\"until\": \"2027-02-30\"}"), 400, agent, before);
        assertRefused(admin.put(path, "{\"until\": \"2030-01-01T10:00:00\"}"), 400, agent, before); // no zone
        assertRefused(admin.put(path, "{\"until\": \"2999-01-01\"}"), 400, agent, before);
        assertRefused(admin.put(path, "{}"), 400, agent, before);
        assertUnreadable(admin.put(path, "{\"until\": "), agent, before);
        assertRefused(admin.send("PUT", path, null), 400, agent, before);
        assertRefused(admin.put("/api/customers/" + (agent + 1000) + "/pause", "{\"until\": \"2030-01-01\"}"), 404, agent, before);
        assertRefused(admin.put("/api/customers/x1/pause", "{\"until\": \"2030-01-01\"}"), 400, agent, before);
        assertThat(admin.put(path, "{\"until\": \"yesterday\"}").json().getAsJsonObject().get("detail").getAsString())
                .contains("ISO-8601");
    }

    @Test
    void endingAPauseClearsItAndAnAgentWithoutOneIsLeftAlone() {
        long agent = data.customer("Returning Agent", "paid");
        db.update("UPDATE customers SET paused_until = '2030-01-01T00:00:00Z' WHERE id = ?", agent);

        JsonObject detail = object(admin.delete("/api/customers/" + agent + "/pause"));

        assertThat(detail.get("pausedUntil").isJsonNull()).isTrue();
        assertThat(db.row("SELECT paused_until FROM customers WHERE id = ?", agent).get("paused_until")).isNull();
        Map<String, Object> audit = db.row("SELECT action, before::text AS before, after::text AS after FROM audit_log");
        assertThat(audit.get("action")).isEqualTo("customer.unpause");
        assertThat(audit.get("before")).isEqualTo("{\"pausedUntil\": \"2030-01-01T00:00:00Z\"}");
        assertThat(audit.get("after")).isEqualTo("{\"pausedUntil\": null}");

        object(admin.delete("/api/customers/" + agent + "/pause"));
        assertThat(db.count("SELECT count(*) FROM audit_log")).as("nothing changed, nothing recorded").isEqualTo(1);
        Map<String, Object> before = state(agent);
        assertRefused(admin.delete("/api/customers/" + (agent + 1000) + "/pause"), 404, agent, before);
    }

    @Test
    void theMonthlyCapIsSetAndRemovedAndAudited() {
        long agent = data.customer("Capped Agent", "paid");
        double counted = actions("customer.cap");

        JsonObject capped = object(admin.put("/api/customers/" + agent + "/cap", "{\"monthly\": 10}"));
        assertThat(capped.get("monthlyCap").getAsInt()).isEqualTo(10);
        assertThat(db.row("SELECT monthly_cap FROM customers WHERE id = ?", agent).get("monthly_cap")).isEqualTo(10);
        Map<String, Object> audit = db.row("SELECT action, before::text AS before, after::text AS after FROM audit_log");
        assertThat(audit.get("action")).isEqualTo("customer.cap");
        assertThat(audit.get("before")).isEqualTo("{\"monthlyCap\": null}");
        assertThat(audit.get("after")).isEqualTo("{\"monthlyCap\": 10}");

        object(admin.put("/api/customers/" + agent + "/cap", "{\"monthly\": 0}"));
        assertThat(db.row("SELECT monthly_cap FROM customers WHERE id = ?", agent).get("monthly_cap")).isEqualTo(0);
        JsonObject uncapped = object(admin.put("/api/customers/" + agent + "/cap", "{\"monthly\": null}"));
        assertThat(uncapped.get("monthlyCap").isJsonNull()).isTrue();
        assertThat(db.row("SELECT monthly_cap FROM customers WHERE id = ?", agent).get("monthly_cap")).isNull();
        assertThat(db.row("SELECT after::text AS a FROM audit_log ORDER BY id DESC LIMIT 1").get("a")).isEqualTo("{\"monthlyCap\": null}");
        object(admin.put("/api/customers/" + agent + "/cap", "{\"monthly\": null}"));
        assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(3);
        assertThat(actions("customer.cap")).isEqualTo(counted + 3);
    }

    @Test
    void aBadCapIsRefusedAndChangesNothing() {
        long agent = data.customer("Strict Agent", "paid");
        db.update("UPDATE customers SET monthly_cap = 7 WHERE id = ?", agent);
        Map<String, Object> before = state(agent);
        String path = "/api/customers/" + agent + "/cap";

        assertRefused(admin.put(path, "{\"monthly\": -1}"), 400, agent, before);
        assertRefused(admin.put(path, "{\"monthly\": 100001}"), 400, agent, before);
        assertUnreadable(admin.put(path, "{\"monthly\": \"5\"}"), agent, before);
        assertUnreadable(admin.put(path, "{\"monthly\": \"many\"}"), agent, before);
        assertUnreadable(admin.put(path, "{\"monthly\": 2.5}"), agent, before);
        assertUnreadable(admin.put(path, "{\"monthly\": true}"), agent, before);
        assertUnreadable(admin.put(path, "{\"monthly\": 99999999999}"), agent, before);
        assertUnreadable(admin.put(path, "{\"montly\": 5}"), agent, before);
        assertRefused(admin.send("PUT", path, null), 400, agent, before);
        assertRefused(admin.put("/api/customers/" + (agent + 1000) + "/cap", "{\"monthly\": 5}"), 404, agent, before);
        assertThat(admin.put(path, "{\"monthly\": -1}").json().getAsJsonObject().get("detail").getAsString()).contains("0 to 100000");
    }

    @Test
    void aViewerMayReadButNotPauseOrCap() {
        long agent = data.customer("Viewed Agent", "paid");
        db.update("UPDATE customers SET paused_until = '2030-01-01T00:00:00Z' WHERE id = ?", agent);
        Map<String, Object> before = state(agent);
        ApiClient viewer = ApiClient.viewer(app);

        assertThat(viewer.get("/api/customers/" + agent).status()).isEqualTo(200);
        assertRefused(viewer.put("/api/customers/" + agent + "/pause", "{\"until\": \"2031-01-01\"}"), 403, agent, before);
        assertRefused(viewer.delete("/api/customers/" + agent + "/pause"), 403, agent, before);
        assertRefused(viewer.put("/api/customers/" + agent + "/cap", "{\"monthly\": 3}"), 403, agent, before);
        assertRefused(ApiClient.of(app, null).put("/api/customers/" + agent + "/cap", "{\"monthly\": 3}"), 401, agent, before);
    }
}
