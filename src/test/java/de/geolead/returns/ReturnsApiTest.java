package de.geolead.returns;

import com.google.gson.JsonObject;
import de.geolead.sandbox.SandboxStripe;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Returns through the operations API against the real PostgreSQL and the Stripe stand-in: filing with every refusal
 * (and nothing changed by a refusal), approving with the Stripe credit (once, also after a crash between Stripe and
 * the database), the abuse guard, rejecting, reading.
 */
class ReturnsApiTest {

    static final String STRIPE_KEY = "sk_test_returns";
    static final int CREDIT = 1500;

    @TempDir
    static Path dataDir;
    static RunningApp app;
    static SandboxStripe stripe;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static ApiClient admin;

    @BeforeAll
    static void start() {
        stripe = SandboxStripe.start(0, STRIPE_KEY);
        Map<String, String> props = new HashMap<>(ApiClient.settings(dataDir));
        props.put("stripe.api.key", STRIPE_KEY);
        props.put("stripe.api.base", stripe.apiBase());
        // stripe-java would retry a 5xx with backoff; one call is enough to see a failure here
        props.put("geolead.stripe.retries", "0");
        props.put("geolead.return.credit.cents", Integer.toString(CREDIT));
        app = RunningApp.start(dataDir, props);
        admin = ApiClient.admin(app);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (stripe != null) {
            stripe.close();
        }
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        stripe.reset();
    }

    // ------------------------------------------------------------------------------------------ filing

    @Test
    void anAgentWhoReceivedTheLeadReturnsItWithinTheWindow() {
        Agent agent = agent("Makler Nord", "cus_nord", 5);
        long lead = agent.leads.get(0);

        ApiClient.Answer answer = admin.post("/api/leads/" + lead + "/returns",
                "{\"customerId\": " + agent.id + ", \"reason\": \"unreachable\", \"note\": \"dreimal angerufen\"}");

        assertThat(answer.status()).as(answer.text()).isEqualTo(201);
        JsonObject filed = answer.json().getAsJsonObject();
        assertThat(filed.get("leadId").getAsLong()).isEqualTo(lead);
        assertThat(filed.get("customerId").getAsLong()).isEqualTo(agent.id);
        assertThat(filed.get("customerName").getAsString()).isEqualTo("Makler Nord");
        assertThat(filed.get("distributionId").getAsLong()).isEqualTo(agent.mails.get(0));
        assertThat(filed.get("reason").getAsString()).isEqualTo("unreachable");
        assertThat(filed.get("note").getAsString()).isEqualTo("dreimal angerufen");
        assertThat(filed.get("channel").getAsString()).isEqualTo("api");
        assertThat(filed.get("filedBy").getAsString()).isEqualTo("ops-admin");
        assertThat(filed.get("status").getAsString()).isEqualTo("open");
        assertThat(Instant.parse(filed.get("filedAt").getAsString())).isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(1, java.time.temporal.ChronoUnit.MINUTES));
        assertThat(filed.get("decidedAt").isJsonNull()).isTrue();
        assertThat(filed.get("customerReturnRate").getAsDouble()).isEqualTo(0.2);

        Map<String, Object> audit = db.row("SELECT actor, action, entity, entity_id, before::text AS before, after::text AS after FROM audit_log");
        assertThat(audit.get("actor")).isEqualTo("ops-admin");
        assertThat(audit.get("action")).isEqualTo("return.file");
        assertThat(audit.get("entity")).isEqualTo("return");
        assertThat(audit.get("entity_id")).isEqualTo(filed.get("id").getAsLong());
        assertThat(audit.get("before")).isNull();
        assertThat((String) audit.get("after")).contains("\"reason\": \"unreachable\"", "\"channel\": \"api\"").doesNotContain("dreimal");

        ApiClient.Answer read = ApiClient.viewer(app).get("/api/returns/" + filed.get("id").getAsLong());
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json()).isEqualTo(answer.json());
    }

    @Test
    void badInputIs400AndChangesNothing() {
        Agent agent = agent("Makler Süd", "cus_sued", 1);
        String path = "/api/leads/" + agent.leads.get(0) + "/returns";

        assertRefused(admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"too_expensive\"}"), 400,
                "reason must be one of no_request, unreachable, wrong_data, duplicate, wrong_region, other");
        assertRefused(admin.post(path, "{\"customerId\": " + agent.id + "}"), 400, "reason must be one of");
        assertRefused(admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"other\"}"), 400, "a note is required for reason other");
        assertRefused(admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"other\", \"note\": \"   \"}"), 400, "a note is required");
        assertRefused(admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\", \"note\": \"" + "x".repeat(1001) + "\"}"),
                400, "note must be at most 1000 characters");
        assertRefused(admin.post(path, "{\"reason\": \"duplicate\"}"), 400, "customerId is required");
        assertRefused(admin.post(path, null), 400, "send a JSON body {customerId, reason, note}");
        assertRefused(admin.post("/api/leads/abc/returns", "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}"), 400, "lead id");
        assertNothingFiled();
    }

    @Test
    void unknownLeadOrAgentIs404AndChangesNothing() {
        Agent agent = agent("Makler West", "cus_west", 1);
        assertRefused(admin.post("/api/leads/999999/returns", "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}"), 404, "no lead 999999");
        assertRefused(admin.post("/api/leads/" + agent.leads.get(0) + "/returns", "{\"customerId\": 999999, \"reason\": \"duplicate\"}"),
                404, "no customer 999999");
        assertNothingFiled();
    }

    @Test
    void onlyAnAgentWhoseMailWasSentMayReturnTheLead() {
        Agent agent = agent("Makler Ost", "cus_ost", 1);
        long other = data.customer("Makler Ohne Mail", "paid");
        long pendingLead = data.lead("10115", "Berlin");
        data.distribution(pendingLead, agent.id, Instant.now());

        assertRefused(admin.post("/api/leads/" + agent.leads.get(0) + "/returns", "{\"customerId\": " + other + ", \"reason\": \"duplicate\"}"),
                409, "customer " + other + " never received lead " + agent.leads.get(0));
        assertRefused(admin.post("/api/leads/" + pendingLead + "/returns", "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}"),
                409, "never received lead " + pendingLead);
        assertNothingFiled();
    }

    @Test
    void afterTheWindowTheReturnIsRefused() {
        Agent agent = agent("Makler Spät", "cus_spaet", 1);
        Instant sent = Instant.now().minus(Duration.ofDays(7)).minusSeconds(60);
        db.update("UPDATE lead_distributions SET sent_at = ? WHERE id = ?", Timestamp.from(sent), agent.mails.get(0));

        ApiClient.Answer answer = admin.post("/api/leads/" + agent.leads.get(0) + "/returns",
                "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}");

        assertRefused(answer, 409, "return window closed on " + sent.plus(Duration.ofDays(7)).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
        assertThat(answer.error()).isEqualTo("return_window_closed");
        assertNothingFiled();
    }

    @Test
    void aSecondReturnOfTheSameLeadAndAgentIsRefused() {
        Agent agent = agent("Makler Doppelt", "cus_doppelt", 1);
        String path = "/api/leads/" + agent.leads.get(0) + "/returns";
        assertThat(admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}").status()).isEqualTo(201);

        ApiClient.Answer second = admin.post(path, "{\"customerId\": " + agent.id + ", \"reason\": \"wrong_data\"}");

        assertRefused(second, 409, "customer " + agent.id + " already returned lead " + agent.leads.get(0) + " on ");
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isEqualTo(1);
        assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(1);
    }

    @Test
    void aViewerMayReadButNotFileOrDecide() {
        Agent agent = agent("Makler Blick", "cus_blick", 5);
        ApiClient viewer = ApiClient.viewer(app);
        assertRefused(viewer.post("/api/leads/" + agent.leads.get(0) + "/returns", "{\"customerId\": " + agent.id + ", \"reason\": \"duplicate\"}"),
                403, "viewer");
        long id = file(agent, 0);
        assertRefused(viewer.post("/api/returns/" + id + "/approve", "{}"), 403, "viewer");
        assertRefused(viewer.post("/api/returns/" + id + "/reject", "{}"), 403, "viewer");
        assertThat(viewer.get("/api/returns").json().getAsJsonObject().getAsJsonArray("items")).hasSize(1);
        assertThat(db.row("SELECT status FROM lead_returns").get("status")).isEqualTo("open");
    }

    // ---------------------------------------------------------------------------------------- deciding

    @Test
    void anApprovalCreditsTheAgentInStripeOnce() {
        Agent agent = agent("Makler Gutschrift", "cus_gut", 5);
        long id = file(agent, 0);

        ApiClient.Answer approved = admin.post("/api/returns/" + id + "/approve", "{\"note\": \"Nummer falsch, bestätigt\"}");

        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        JsonObject body = approved.json().getAsJsonObject();
        assertThat(body.get("status").getAsString()).isEqualTo("approved");
        assertThat(body.get("decidedBy").getAsString()).isEqualTo("ops-admin");
        assertThat(body.get("decisionNote").getAsString()).isEqualTo("Nummer falsch, bestätigt");
        assertThat(body.get("creditCents").getAsInt()).isEqualTo(CREDIT);
        String creditId = body.get("stripeCreditId").getAsString();
        assertThat(creditId).startsWith("cbtxn_");
        List<String> transactions = stripe.balanceTransactionsJson("cus_gut");
        assertThat(transactions).hasSize(1);
        JsonObject transaction = com.google.gson.JsonParser.parseString(transactions.get(0)).getAsJsonObject();
        assertThat(transaction.get("id").getAsString()).isEqualTo(creditId);
        assertThat(transaction.get("amount").getAsLong()).isEqualTo(-CREDIT);
        assertThat(transaction.get("currency").getAsString()).isEqualTo("eur");
        assertThat(transaction.getAsJsonObject("metadata").get("geolead_return_id").getAsString()).isEqualTo(Long.toString(id));
        assertThat(stripe.balance("cus_gut")).isEqualTo(-CREDIT);

        Map<String, Object> audit = db.row("SELECT actor, before::text AS before, after::text AS after FROM audit_log WHERE action = 'return.approve'");
        assertThat(audit.get("actor")).isEqualTo("ops-admin");
        assertThat((String) audit.get("before")).contains("\"status\": \"open\"");
        assertThat((String) audit.get("after")).contains("\"status\": \"approved\"", "\"creditCents\": " + CREDIT, creditId).doesNotContain("Nummer");

        ApiClient.Answer again = admin.post("/api/returns/" + id + "/approve", "{}");
        assertRefused(again, 409, "return " + id + " is approved, only an open return can be decided");
        assertThat(stripe.balanceTransactionsJson("cus_gut")).hasSize(1);
    }

    @Test
    void whenStripeFailsTheReturnStaysOpenAndAnotherApprovalCredits() {
        Agent agent = agent("Makler Ausfall", "cus_ausfall", 5);
        long id = file(agent, 0);
        stripe.failNext("/v1/customers/cus_ausfall/balance_transactions", 503, 1);

        ApiClient.Answer failed = admin.post("/api/returns/" + id + "/approve", "{}");

        assertThat(failed.status()).as(failed.text()).isEqualTo(502);
        assertThat(failed.error()).isEqualTo("stripe_unavailable");
        assertThat(db.row("SELECT status, stripe_credit_id FROM lead_returns WHERE id = ?", id))
                .containsEntry("status", "open").containsEntry("stripe_credit_id", null);
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'return.approve'")).isZero();

        ApiClient.Answer approved = admin.post("/api/returns/" + id + "/approve", "{}");
        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        assertThat(stripe.balanceTransactionsJson("cus_ausfall")).hasSize(1);
    }

    @Test
    void aCrashBetweenStripeAndTheDatabaseStillCreditsOnce() {
        Agent agent = agent("Makler Absturz", "cus_absturz", 5);
        long id = file(agent, 0);
        // the database refuses the approval after Stripe booked the credit: as if the process died in between
        db.execute("CREATE FUNCTION refuse_approval() RETURNS trigger LANGUAGE plpgsql AS "
                + "$$ BEGIN RAISE EXCEPTION 'simulated crash'; END $$");
        db.execute("CREATE TRIGGER refuse_approval BEFORE UPDATE ON lead_returns FOR EACH ROW EXECUTE FUNCTION refuse_approval()");
        try {
            ApiClient.Answer crashed = admin.post("/api/returns/" + id + "/approve", "{}");
            assertThat(crashed.status()).as(crashed.text()).isEqualTo(500);
        } finally {
            db.execute("DROP TRIGGER refuse_approval ON lead_returns");
            db.execute("DROP FUNCTION refuse_approval()");
        }
        assertThat(db.row("SELECT status FROM lead_returns WHERE id = ?", id).get("status")).isEqualTo("open");
        List<String> afterCrash = stripe.balanceTransactionsJson("cus_absturz");
        assertThat(afterCrash).as("Stripe booked the credit before the crash").hasSize(1);

        ApiClient.Answer approved = admin.post("/api/returns/" + id + "/approve", "{}");

        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        assertThat(stripe.balanceTransactionsJson("cus_absturz")).as("the same idempotency key: no second credit").hasSize(1);
        assertThat(stripe.balance("cus_absturz")).isEqualTo(-CREDIT);
        String firstId = com.google.gson.JsonParser.parseString(afterCrash.get(0)).getAsJsonObject().get("id").getAsString();
        assertThat(approved.json().getAsJsonObject().get("stripeCreditId").getAsString()).isEqualTo(firstId);
    }

    @Test
    void aboveTheMaximumReturnRateAnApprovalNeedsForce() {
        Agent agent = agent("Makler Viel", "cus_viel", 3);
        long first = file(agent, 0);
        file(agent, 1); // 2 returns of 3 leads: 0.667

        ApiClient.Answer refused = admin.post("/api/returns/" + first + "/approve", "{\"force\": false}");

        assertRefused(refused, 409, "return rate 0.667 above 0.2; force to approve");
        assertThat(db.row("SELECT status FROM lead_returns WHERE id = ?", first).get("status")).isEqualTo("open");
        assertThat(stripe.requestCount("/v1/customers")).isZero();
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'return.approve'")).isZero();

        ApiClient.Answer forced = admin.post("/api/returns/" + first + "/approve", "{\"force\": true}");
        assertThat(forced.status()).as(forced.text()).isEqualTo(200);
        assertThat(forced.json().getAsJsonObject().get("customerReturnRate").getAsDouble()).isEqualTo(0.667);
        assertThat((String) db.row("SELECT after::text AS after FROM audit_log WHERE action = 'return.approve'").get("after"))
                .contains("\"force\": true");
    }

    @Test
    void anAgentWithoutStripeCustomerIsApprovedWithoutCredit() {
        Agent agent = agent("Makler Bar", null, 5);
        long id = file(agent, 0);

        ApiClient.Answer approved = admin.post("/api/returns/" + id + "/approve", null);

        assertThat(approved.status()).as(approved.text()).isEqualTo(200);
        assertThat(approved.json().getAsJsonObject().get("status").getAsString()).isEqualTo("approved");
        assertThat(approved.json().getAsJsonObject().get("creditCents").isJsonNull()).isTrue();
        assertThat(approved.json().getAsJsonObject().get("stripeCreditId").isJsonNull()).isTrue();
        assertThat(stripe.requestCount("/v1/")).isZero();
    }

    @Test
    void aRejectionClosesAnOpenReturnOnly() {
        Agent agent = agent("Makler Nein", "cus_nein", 5);
        long id = file(agent, 0);
        long withoutBody = file(agent, 1);
        assertThat(admin.post("/api/returns/" + withoutBody + "/reject", null).status()).as("no body: no note").isEqualTo(200);

        ApiClient.Answer rejected = admin.post("/api/returns/" + id + "/reject", "{\"note\": \"Eigentümer erreicht\"}");

        assertThat(rejected.status()).as(rejected.text()).isEqualTo(200);
        assertThat(rejected.json().getAsJsonObject().get("status").getAsString()).isEqualTo("rejected");
        assertThat(rejected.json().getAsJsonObject().get("decisionNote").getAsString()).isEqualTo("Eigentümer erreicht");
        assertThat(rejected.json().getAsJsonObject().get("creditCents").isJsonNull()).isTrue();
        assertThat(db.row("SELECT actor, after::text AS after FROM audit_log WHERE action = 'return.reject' AND entity_id = ?", id).get("after").toString())
                .contains("rejected");
        long audits = db.count("SELECT count(*) FROM audit_log");

        assertRefused(admin.post("/api/returns/" + id + "/reject", "{}"), 409, "is rejected");
        assertRefused(admin.post("/api/returns/" + id + "/approve", "{\"force\": true}"), 409, "is rejected");
        assertRefused(admin.post("/api/returns/999999/reject", "{}"), 404, "no return 999999");
        assertRefused(admin.post("/api/returns/999999/approve", "{}"), 404, "no return 999999");
        assertRefused(admin.post("/api/returns/x/approve", "{}"), 400, "return id");
        assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(audits);
        assertThat(stripe.requestCount("/v1/")).isZero();
    }

    // ----------------------------------------------------------------------------------------- reading

    @Test
    void theListFiltersByStatusNewestFirst() {
        Agent agent = agent("Makler Liste", "cus_liste", 10);
        long first = file(agent, 0);
        long second = file(agent, 1);
        long third = file(agent, 2);
        admin.post("/api/returns/" + second + "/reject", "{}");

        assertThat(ids(admin.get("/api/returns"))).containsExactly(third, second, first);
        assertThat(ids(admin.get("/api/returns?status=open"))).containsExactly(third, first);
        assertThat(ids(admin.get("/api/returns?status=rejected"))).containsExactly(second);
        assertThat(ids(admin.get("/api/returns?status=open&limit=1"))).containsExactly(third);
        assertRefused(admin.get("/api/returns?status=closed"), 400, "status must be one of open, approved, rejected");
        assertRefused(admin.get("/api/returns?limit=0"), 400, "limit must be");
        assertRefused(admin.get("/api/returns/424242"), 404, "no return 424242");
        assertRefused(ApiClient.of(app, null).get("/api/returns"), 401, "Bearer");
    }

    // ----------------------------------------------------------------------------------------- helpers

    /** A paid agent (with a Stripe customer unless null) who got {@code sentLeads} leads, each by a sent mail a day ago. */
    record Agent(long id, List<Long> leads, List<Long> mails) {
    }

    static Agent agent(String name, String stripeCustomer, int sentLeads) {
        long id = data.customer(name, "paid");
        if (stripeCustomer != null) {
            stripe.putCustomer(stripeCustomer, name, data.email(id));
            db.update("UPDATE customers SET stripe_customer_id = ? WHERE id = ?", stripeCustomer, id);
        }
        List<Long> leads = new java.util.ArrayList<>();
        List<Long> mails = new java.util.ArrayList<>();
        for (int i = 0; i < sentLeads; i++) {
            long lead = data.lead("10115", "Berlin");
            leads.add(lead);
            mails.add(sentMail(lead, id, Instant.now().minus(Duration.ofDays(1))));
        }
        return new Agent(id, leads, mails);
    }

    static long sentMail(long lead, long customer, Instant sentAt) {
        return (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, sent_at, status, role, kind, message_id) "
                + "VALUES (?, ?, ?, ?, 'sent', 'only', 'planned', ?) RETURNING id", lead, customer, Timestamp.from(sentAt), Timestamp.from(sentAt),
                "<test-" + lead + "-" + customer + "@geolead.test>").get("id");
    }

    static long file(Agent agent, int lead) {
        ApiClient.Answer answer = admin.post("/api/leads/" + agent.leads.get(lead) + "/returns",
                "{\"customerId\": " + agent.id + ", \"reason\": \"wrong_data\"}");
        assertThat(answer.status()).as(answer.text()).isEqualTo(201);
        return answer.json().getAsJsonObject().get("id").getAsLong();
    }

    static List<Long> ids(ApiClient.Answer answer) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        List<Long> ids = new java.util.ArrayList<>();
        answer.json().getAsJsonObject().getAsJsonArray("items").forEach(item -> ids.add(item.getAsJsonObject().get("id").getAsLong()));
        return ids;
    }

    static void assertRefused(ApiClient.Answer answer, int status, String detail) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(answer.json().getAsJsonObject().get("detail").getAsString()).contains(detail);
    }

    static void assertNothingFiled() {
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isZero();
        assertThat(db.count("SELECT count(*) FROM audit_log")).isZero();
    }
}
