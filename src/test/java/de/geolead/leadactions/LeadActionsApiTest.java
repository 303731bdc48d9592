package de.geolead.leadactions;

import com.google.gson.JsonObject;
import de.geolead.api.ApiUser;
import de.geolead.api.Requests;
import de.geolead.testing.ApiClient;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.Exchange;
import org.apache.activemq.artemis.core.server.Queue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * POST /api/leads/{id}/resend|assign|park|unpark over real HTTP against the running app: real routes, PostgreSQL,
 * embedded Artemis and SMTP (GreenMail). The head start is 10 minutes, so a follower's mail within a test was released
 * by a skipped head start, never sent on its own schedule.
 */
class LeadActionsApiTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        Map<String, String> props = new LinkedHashMap<>(ApiClient.settings(dataDir));
        props.putAll(RunningApp.mailingTo(mailbox.port()));
        props.put("geolead.head.start", "PT10M");
        props.put("geolead.sweep.grace", "PT1S");
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (mailbox != null) {
            mailbox.close();
        }
    }

    /** The previous test's messages would hit new rows with the same ids (RESTART IDENTITY): none may be left. */
    @BeforeEach
    void cleanSlate() throws Exception {
        app.emptyWorkQueues(WAIT);
        db.reset();
        mailbox.clear();
    }

    static Queue queue(String name) {
        return app.queue(name);
    }

    /** No message waiting or being processed on either queue (scheduled ones, a follower's for later, may wait). */
    static boolean queuesIdle() {
        return List.of("geolead.leads.new", "geolead.deliveries").stream().allMatch(name -> queue(name) == null
                || queue(name).getMessageCount() == queue(name).getScheduledCount() && queue(name).getDeliveringCount() == 0);
    }

    /** No message at all on either queue, scheduled ones included. */
    static boolean queuesEmpty() {
        return List.of("geolead.leads.new", "geolead.deliveries").stream().allMatch(name -> queue(name) == null
                || queue(name).getMessageCount() == 0);
    }

    static long agent(String name, String plz) {
        long agent = data.customer(name, "paid");
        data.subscription(agent, plz);
        return agent;
    }

    /** The lead planned by the real routes and its one mail sent to {@code agent}; returns the mail's distribution id. */
    static long deliveredTo(long lead, long agent) {
        app.publishLead(lead);
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND customer_id = ? "
                + "AND status = 'sent'", lead, agent) == 1);
        return (Long) db.row("SELECT id FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, agent).get("id");
    }

    static List<MimeMessage> mailsTo(long agent) {
        return mailbox.messagesTo(data.email(agent));
    }

    static Map<String, Object> row(long distributionId) {
        return db.row("SELECT * FROM lead_distributions WHERE id = ?", distributionId);
    }

    static String leadStatus(long lead) {
        return (String) db.row("SELECT status FROM leads WHERE id = ?", lead).get("status");
    }

    static ApiClient.Answer post(String path, String json) {
        return ApiClient.admin(app).post(path, json);
    }

    static void sweep() {
        app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);
    }

    /** Runs {@code work} with the delivery route stopped: what it queues is sent only after it returned. */
    static void deliveryHeld(ThrowingRunnable work) throws Exception {
        app.context().getRouteController().stopRoute("lead-delivery");
        try {
            work.run();
        } finally {
            app.context().getRouteController().startRoute("lead-delivery");
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aResendArrivesOnceWithItsOwnMessageIdAndIsRecordedLoggedAndCounted() throws Exception {
        long agent = agent("Resend Agent", "80331");
        long lead = data.lead("80331", "München");
        long first = deliveredTo(lead, agent);
        await().atMost(WAIT).until(() -> mailsTo(agent).size() == 1);
        MeterRegistry meters = app.context().getRegistry().findSingleByType(MeterRegistry.class);
        double resendsBefore = resendsCounted(meters);

        ApiClient.Answer answer;
        try (LogCapture log = LogCapture.open()) {
            answer = post("/api/leads/" + lead + "/resend", "{\"customerId\": " + agent + "}");

            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            JsonObject json = answer.json().getAsJsonObject();
            long resend = json.get("distributionId").getAsLong();
            assertThat(json.get("leadId").getAsLong()).isEqualTo(lead);
            assertThat(json.get("customerId").getAsLong()).isEqualTo(agent);
            assertThat(json.get("kind").getAsString()).isEqualTo("resend");
            assertThat(json.keySet()).containsExactlyInAnyOrder("leadId", "distributionId", "customerId", "kind");
            assertThat(answer.headers().get("content-type")).anySatisfy(type -> assertThat(type).startsWith("application/json"));

            await().atMost(WAIT).until(() -> "sent".equals(row(resend).get("status")) && mailsTo(agent).size() == 2);
            await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
            List<MimeMessage> mails = mailsTo(agent);
            assertThat(mails).hasSize(2);
            assertThat(mails.get(1).getMessageID()).isEqualTo(row(resend).get("message_id"))
                    .isNotEqualTo(mails.get(0).getMessageID()).isNotEqualTo(row(first).get("message_id"));
            assertThat(row(resend)).containsEntry("kind", "resend").containsEntry("resend_of", first)
                    .containsEntry("requested_by", "ops-admin");
            assertThat(leadStatus(lead)).isEqualTo("distributed");
            assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'lead.resend' AND entity_id = ?", lead)).isEqualTo(1);
            assertThat(log.linesContaining("API lead.resend")).containsExactly("INFO de.geolead.api API lead.resend lead " + lead
                    + " to customer " + agent + " by ops-admin: mail " + resend + " queued");
            assertThat(String.join("\n", log.linesWithExceptions())).doesNotContain("Erika", "Muster", "+4930123456", data.email(agent),
                    ApiClient.ADMIN);
        }
        assertThat(resendsCounted(meters)).isEqualTo(resendsBefore + 1);
    }

    /** geolead_api_actions_total{action="lead.resend"} (0 before the first). */
    static double resendsCounted(MeterRegistry meters) {
        Counter counter = meters.find("geolead.api.actions").tag("action", "lead.resend").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aResendGoesToAnAgentWhoPausedAndNoLongerSubscribes() throws Exception {
        long agent = agent("Holiday Agent", "80331");
        long lead = data.lead("80331", "München");
        deliveredTo(lead, agent);
        db.update("UPDATE customers SET paused_until = now() + interval '14 days' WHERE id = ?", agent);
        db.update("UPDATE subscriptions SET status = 'cancelled' WHERE customer_id = ?", agent);

        ApiClient.Answer answer = post("/api/leads/" + lead + "/resend", "{\"customerId\": " + agent + "}");

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        await().atMost(WAIT).until(() -> mailsTo(agent).size() == 2);
    }

    @Test
    void aManualHandOutArrivesOnceAndAForcedOneNeedsForce() throws Exception {
        long covering = agent("Covering Agent", "101");
        long far = agent("Far Agent", "20095");
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'expired', status_reason = 'no paying agent covered this PLZ within P7D' WHERE id = ?", lead);

        ApiClient.Answer answer = post("/api/leads/" + lead + "/assign", "{\"customerId\": " + covering + "}");

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        long manual = answer.json().getAsJsonObject().get("distributionId").getAsLong();
        assertThat(answer.json().getAsJsonObject().get("kind").getAsString()).isEqualTo("manual");
        await().atMost(WAIT).until(() -> "sent".equals(row(manual).get("status")) && mailsTo(covering).size() == 1);
        assertThat(Mailbox.text(mailsTo(covering).get(0))).contains("nur an Sie");
        assertThat(leadStatus(lead)).isEqualTo("distributed");

        ApiClient.Answer refused = post("/api/leads/" + lead + "/assign", "{\"customerId\": " + far + "}");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().getAsJsonObject().get("detail").getAsString())
                .isEqualTo("customer " + far + " does not cover PLZ 10115; force to hand it out anyway");

        ApiClient.Answer forced = post("/api/leads/" + lead + "/assign", "{\"customerId\": " + far + ", \"force\": true}");
        assertThat(forced.status()).as(forced.text()).isEqualTo(200);
        long forcedMail = forced.json().getAsJsonObject().get("distributionId").getAsLong();
        await().atMost(WAIT).until(() -> "sent".equals(row(forcedMail).get("status")) && mailsTo(far).size() == 1);
        assertThat(Mailbox.text(mailsTo(far).get(0))).as("the covering agent has it too").contains("auch an Sie");
        await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
        assertThat(mailbox.messages()).hasSize(2);
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'lead.assign'")).isEqualTo(2);
        assertThat(app.context().getRegistry().findSingleByType(MeterRegistry.class).find("geolead.api.actions")
                .tag("action", "lead.assign").counter()).isNotNull();
    }

    /** One refused call: what it sends and what it must answer (error null: the body is not checked). */
    record Refusal(ApiClient client, String path, String body, int status, String error, String detail) {
    }

    @Test
    void everyRefusalAnswersItsReasonAndChangesNothingNoRowNoAuditNoMail() throws Exception {
        long agent = agent("Has It", "80331");
        long lead = data.lead("80331", "München");
        deliveredTo(lead, agent);
        long other = agent("Never Had It", "80331");
        long parked = data.lead("80331", "München");
        db.update("UPDATE leads SET status = 'parked', status_reason = 'parked by someone: test' WHERE id = ?", parked);
        long unpaid = data.customer("Unpaid Agent", "unpaid");
        long paused = agent("Paused Agent", "80331");
        db.update("UPDATE customers SET paused_until = '2099-01-01T00:00:00Z' WHERE id = ?", paused);
        long noPdf = data.lead("80331", "München");
        db.update("DELETE FROM lead_pdfs WHERE lead_id = ?", noPdf);
        await().atMost(WAIT).until(LeadActionsApiTest::queuesEmpty);
        ApiClient admin = ApiClient.admin(app);
        ApiClient viewer = ApiClient.viewer(app);
        String leads = "/api/leads/";

        List<Refusal> refusals = new ArrayList<>(List.of(
                new Refusal(admin, leads + 999999 + "/resend", "{\"customerId\": " + agent + "}", 404, "not_found", "no lead 999999"),
                new Refusal(admin, leads + lead + "/resend", "{\"customerId\": 999999}", 404, "not_found", "no customer 999999"),
                new Refusal(admin, leads + lead + "/resend", "{\"customerId\": " + other + "}", 409, "conflict",
                        "customer " + other + " never received lead " + lead),
                new Refusal(admin, leads + parked + "/resend", "{\"customerId\": " + agent + "}", 409, "conflict",
                        "lead " + parked + " is parked: unpark it first"),
                new Refusal(admin, leads + lead + "/resend", "{}", 400, "bad_request", "send the JSON body {\"customerId\": <agent id>}"),
                new Refusal(admin, leads + lead + "/resend", null, 400, "bad_request", "send the JSON body {\"customerId\": <agent id>}"),
                new Refusal(admin, leads + lead + "/assign", null, 400, "bad_request", null),
                new Refusal(admin, leads + lead + "/park", null, 400, "bad_request", null),
                // refused by Camel's JSON binding before the route: 400 without the {error, detail} body (see the report)
                new Refusal(admin, leads + lead + "/resend", "{\"customerId\": \"seven\"}", 400, null, null),
                new Refusal(admin, leads + lead + "/assign", "{not json", 400, null, null),
                new Refusal(admin, leads + "abc/resend", "{\"customerId\": " + agent + "}", 400, "bad_request", "the lead id must be a number"),
                new Refusal(admin, leads + lead + "/assign", "{\"customerId\": " + agent + "}", 409, "conflict", null),
                new Refusal(admin, leads + noPdf + "/assign", "{\"customerId\": " + other + "}", 409, "conflict",
                        "lead " + noPdf + " has no lead sheet (PDF)"),
                new Refusal(admin, leads + lead + "/assign", "{\"customerId\": " + unpaid + ", \"force\": true}", 409, "conflict",
                        "customer " + unpaid + " is unpaid: only paid agents get leads"),
                new Refusal(admin, leads + lead + "/assign", "{\"customerId\": " + paused + "}", 409, "conflict",
                        "customer " + paused + " is paused until 2099-01-01T00:00:00Z"),
                new Refusal(admin, leads + parked + "/assign", "{\"customerId\": " + other + "}", 409, "conflict",
                        "lead " + parked + " is parked: unpark it first"),
                new Refusal(admin, leads + 999999 + "/assign", "{\"customerId\": " + other + "}", 404, "not_found", "no lead 999999"),
                new Refusal(admin, leads + lead + "/assign", "{\"customerId\": 999999}", 404, "not_found", "no customer 999999"),
                new Refusal(admin, leads + lead + "/park", "{}", 400, "bad_request", null),
                new Refusal(admin, leads + lead + "/park", "{\"reason\": \"" + "x".repeat(201) + "\"}", 400, "bad_request",
                        "reason is 201 characters long; at most 200"),
                new Refusal(admin, leads + lead + "/park", "{\"reason\": \"tab\\there\"}", 400, "bad_request",
                        "reason must be one line without control characters"),
                new Refusal(admin, leads + parked + "/park", "{\"reason\": \"again\"}", 409, "conflict", "lead " + parked + " is already parked"),
                new Refusal(admin, leads + 999999 + "/park", "{\"reason\": \"why\"}", 404, "not_found", "no lead 999999"),
                new Refusal(admin, leads + lead + "/unpark", null, 409, "conflict", "lead " + lead + " is not parked (distributed)"),
                new Refusal(admin, leads + 999999 + "/unpark", null, 404, "not_found", "no lead 999999")));
        Map<String, String> bodies = Map.of("resend", "{\"customerId\": " + agent + "}", "assign", "{\"customerId\": " + other + "}",
                "park", "{\"reason\": \"x\"}");
        for (String action : List.of("resend", "assign", "park", "unpark")) {
            refusals.add(new Refusal(viewer, leads + lead + "/" + action, bodies.get(action), 403, "forbidden", null));
            refusals.add(new Refusal(ApiClient.of(app, null), leads + lead + "/" + action, bodies.get(action), 401, "unauthorized", null));
        }
        refusals.add(new Refusal(viewer, leads + parked + "/unpark", null, 403, "forbidden", null));

        List<Object> before = state();
        int mails = mailbox.messages().size();
        for (Refusal refusal : refusals) {
            ApiClient.Answer answer = refusal.client().post(refusal.path(), refusal.body());
            String call = refusal.path() + " " + refusal.body();
            assertThat(answer.status()).as(call + " -> " + answer.text()).isEqualTo(refusal.status());
            if (refusal.error() != null) {
                assertThat(answer.error()).as(call).isEqualTo(refusal.error());
            }
            if (refusal.detail() != null) {
                assertThat(answer.json().getAsJsonObject().get("detail").getAsString()).as(call).isEqualTo(refusal.detail());
            }
            assertThat(state()).as(call + ": nothing changed").isEqualTo(before);
        }
        assertThat(queuesEmpty()).as("no message was queued").isTrue();
        assertThat(mailbox.messages()).hasSize(mails);
        assertThat(leadStatus(parked)).isEqualTo("parked");
    }

    /** Everything an action could change: mails, audit rows, leads' status and reason. */
    static List<Object> state() {
        return List.of(db.rows("SELECT * FROM lead_distributions ORDER BY id"), db.rows("SELECT * FROM audit_log ORDER BY id"),
                db.rows("SELECT id, status, status_reason, unassigned_since, updated_at FROM leads ORDER BY id"));
    }

    @Test
    void aLeadParkedBetweenPlanningAndTheHeadStartsSendGetsNoMailAndIsNotPlannedAgainUntilUnparked() throws Exception {
        List<Long> agents = List.of(agent("Park A", "10115"), agent("Park B", "10115"), agent("Park C", "10115"));
        long lead = data.lead("10115", "Berlin");

        deliveryHeld(() -> {
            app.publishLead(lead);
            await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ?", lead) == 3);
            ApiClient.Answer parked = post("/api/leads/" + lead + "/park", "{\"reason\": \"Eigentümer verkauft doch nicht\"}");
            assertThat(parked.status()).as(parked.text()).isEqualTo(200);
            assertThat(parked.json().getAsJsonObject().get("statusReason").getAsString())
                    .isEqualTo("parked by ops-admin: Eigentümer verkauft doch nicht");
        });

        // the head start is skipped, which releases the followers at once: they are skipped too
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'skipped' "
                + "AND status_reason = 'lead parked'", lead) == 3);
        await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
        assertThat(mailbox.messages()).isEmpty();
        assertThat(leadStatus(lead)).isEqualTo("parked");

        // the sweep leaves it alone too
        db.update("UPDATE leads SET updated_at = now() - interval '1 hour' WHERE id = ?", lead);
        sweep();
        await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
        assertThat(leadStatus(lead)).isEqualTo("parked");
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ?", lead)).isEqualTo(3);

        // unparked: planned among the agents without a mail of it
        long newcomer = agent("Park Newcomer", "10115");
        ApiClient.Answer unparked;
        try (LogCapture log = LogCapture.open()) {
            unparked = post("/api/leads/" + lead + "/unpark", null);
            assertThat(log.linesContaining("API lead.unpark")).containsExactly("INFO de.geolead.api API lead.unpark lead " + lead
                    + " by ops-admin: pending, published for planning");
        }
        assertThat(unparked.status()).as(unparked.text()).isEqualTo(200);
        assertThat(unparked.json().getAsJsonObject().get("status").getAsString()).isEqualTo("pending");
        await().atMost(WAIT).until(() -> mailsTo(newcomer).size() == 1);
        assertThat(leadStatus(lead)).isEqualTo("distributed");
        agents.forEach(a -> assertThat(mailsTo(a)).isEmpty());
        assertThat(db.rows("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id", lead))
                .extracting(r -> r.get("action")).containsExactly("lead.park", "lead.unpark");
        MeterRegistry meters = app.context().getRegistry().findSingleByType(MeterRegistry.class);
        for (String action : List.of("lead.park", "lead.unpark")) {
            assertThat(meters.find("geolead.api.actions").tag("action", action).counter()).as(action).isNotNull();
        }
    }

    @Test
    void aHandOutOrResendWhoseMessageWasLostIsSentOnceByTheSweep() throws Exception {
        long agent = agent("Lost Agent", "80331");
        long other = agent("Lost Other", "20095");
        long lead = data.lead("80331", "München");
        deliveredTo(lead, agent);
        await().atMost(WAIT).until(() -> mailsTo(agent).size() == 1);
        LeadActions actions = app.bean("leadActions", LeadActions.class);
        ApiUser admin = new ApiUser("ops-admin", ApiUser.ADMIN);

        // committed, then "crashed" before the route queued them: no message exists
        long resend = actions.resend(Long.toString(lead), new Requests.Resend(agent), admin).distributionId();
        long manual = actions.assign(Long.toString(lead), new Requests.Assign(other, true), admin).distributionId();
        db.update("UPDATE lead_distributions SET scheduled_for = now() - interval '1 hour', enqueued_at = now() - interval '1 hour' "
                + "WHERE id IN (?, ?)", resend, manual);
        assertThat(queuesEmpty()).isTrue();

        sweep();

        await().atMost(WAIT).until(() -> "sent".equals(row(resend).get("status")) && "sent".equals(row(manual).get("status")));
        await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
        assertThat(mailsTo(agent)).hasSize(2);
        assertThat(mailsTo(other)).hasSize(1);
    }

    @Test
    void aSkippedHeadStartReleasesTheFollowersEvenWhenAHandOutWentOutMeanwhile() throws Exception {
        agent("Release A", "28195");
        agent("Release B", "28195");
        long handedTo = agent("Release Hand", "20095");
        long lead = data.lead("28195", "Bremen");
        long[] follower = new long[1];

        deliveryHeld(() -> {
            app.publishLead(lead);
            await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ?", lead) == 2);
            long headStart = (Long) db.row("SELECT customer_id FROM lead_distributions WHERE lead_id = ? AND role = 'head_start'", lead)
                    .get("customer_id");
            follower[0] = (Long) db.row("SELECT customer_id FROM lead_distributions WHERE lead_id = ? AND role = 'follower'", lead)
                    .get("customer_id");
            assertThat(post("/api/leads/" + lead + "/assign", "{\"customerId\": " + handedTo + ", \"force\": true}").status()).isEqualTo(200);
            db.update("UPDATE customers SET paused_until = now() + interval '7 days' WHERE id = ?", headStart);
        });

        // the head start lasts 10 minutes: a follower mail now was released by the skipped head start
        await().atMost(WAIT).until(() -> mailsTo(follower[0]).size() == 1 && mailsTo(handedTo).size() == 1);
    }

    @Test
    void aSkippedHandOutLeavesTheLeadToBePlannedAgainButASkippedResendDoesNot() throws Exception {
        long covering = agent("Replan Covering", "50667");
        long chosen = data.customer("Replan Chosen", "paid");
        long lead = data.lead("50667", "Köln");
        db.update("UPDATE leads SET status = 'expired' WHERE id = ?", lead);

        deliveryHeld(() -> {
            assertThat(post("/api/leads/" + lead + "/assign", "{\"customerId\": " + chosen + ", \"force\": true}").status()).isEqualTo(200);
            db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", chosen);
        });

        // the hand-out was the lead's only mail: it is planned again, among the agents without a mail of it
        await().atMost(WAIT).until(() -> mailsTo(covering).size() == 1);
        assertThat(db.row("SELECT status, status_reason FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, chosen))
                .containsEntry("status", "skipped").containsEntry("status_reason", "customer is past_due at send time");
        await().atMost(WAIT).until(() -> "sent".equals(db.row("SELECT status FROM lead_distributions WHERE lead_id = ? AND customer_id = ?",
                lead, covering).get("status")));

        long[] resend = new long[1];
        deliveryHeld(() -> {
            resend[0] = post("/api/leads/" + lead + "/resend", "{\"customerId\": " + covering + "}").json().getAsJsonObject()
                    .get("distributionId").getAsLong();
            db.update("UPDATE customers SET status = 'unpaid' WHERE id = ?", covering);
        });
        await().atMost(WAIT).until(() -> "skipped".equals(row(resend[0]).get("status")));
        await().atMost(WAIT).until(LeadActionsApiTest::queuesIdle);
        assertThat(leadStatus(lead)).isEqualTo("distributed");
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ?", lead)).isEqualTo(3);
        assertThat(mailsTo(covering)).hasSize(1);
    }

    @Test
    void theCallersHttpHeadersAndTokenDoNotTravelOnToTheQueues() throws Exception {
        long agent = agent("Header Agent", "80331");
        long lead = data.lead("80331", "München");
        deliveredTo(lead, agent);
        await().atMost(WAIT).until(LeadActionsApiTest::queuesEmpty);

        deliveryHeld(() -> {
            long resend = post("/api/leads/" + lead + "/resend", "{\"customerId\": " + agent + "}").json().getAsJsonObject()
                    .get("distributionId").getAsLong();
            Exchange queued = app.context().createConsumerTemplate().receive("jms:queue:geolead.deliveries", 10_000);
            assertThat(queued).isNotNull();
            assertThat(queued.getMessage().getBody(String.class)).isEqualTo(Long.toString(resend));
            assertThat(queued.getMessage().getHeaders().keySet()).noneMatch(name -> name.equalsIgnoreCase("Authorization")
                    || name.equalsIgnoreCase("id") || name.equalsIgnoreCase("Content-Type") || name.startsWith("CamelHttp"));
        });

        app.context().getRouteController().stopRoute("lead-distribution");
        try {
            assertThat(post("/api/leads/" + lead + "/park", "{\"reason\": \"test\"}").status()).isEqualTo(200);
            assertThat(post("/api/leads/" + lead + "/unpark", null).status()).isEqualTo(200);
            Exchange published = app.context().createConsumerTemplate().receive("jms:queue:geolead.leads.new", 10_000);
            assertThat(published).isNotNull();
            assertThat(published.getMessage().getBody(String.class)).isEqualTo(Long.toString(lead));
            assertThat(published.getMessage().getHeaders().keySet()).noneMatch(name -> name.equalsIgnoreCase("Authorization")
                    || name.equalsIgnoreCase("id") || name.startsWith("CamelHttp"));
        } finally {
            app.context().getRouteController().startRoute("lead-distribution");
        }
    }

    @Test
    void theOpenApiDocumentDescribesTheLeadActions() {
        JsonObject paths = ApiClient.of(app, null).get("/api/openapi.json").json().getAsJsonObject().getAsJsonObject("paths");
        for (String action : List.of("resend", "assign", "park", "unpark")) {
            assertThat(paths.has("/leads/{id}/" + action)).as(action).isTrue();
            assertThat(paths.getAsJsonObject("/leads/{id}/" + action).has("post")).as(action).isTrue();
        }
    }

}
