package de.geolead.leadactions;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.api.AuditLog;
import de.geolead.api.Requests;
import de.geolead.db.Database;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The lead actions' rules against the real PostgreSQL, without Camel: what each writes, and that a refusal writes nothing. */
class LeadActionsTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final ApiUser ADMIN = new ApiUser("ops-admin", ApiUser.ADMIN);

    final LeadActions actions = new LeadActions(new Database(db.dataSource()), new AuditLog(new Database(db.dataSource())));

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    /** A paid agent subscribed to {@code plz}. */
    static long agent(String name, String plz) {
        long agent = data.customer(name, "paid");
        data.subscription(agent, plz);
        return agent;
    }

    /** A planned mail of the lead that reached the agent. */
    static long sentMail(long lead, long agent) {
        long mail = data.distribution(lead, agent, Instant.now().minusSeconds(3600));
        db.update("UPDATE lead_distributions SET status = 'sent', sent_at = now(), message_id = '<m" + mail + "@test>' WHERE id = ?", mail);
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);
        return mail;
    }

    static Map<String, Object> mail(long id) {
        return db.row("SELECT * FROM lead_distributions WHERE id = ?", id);
    }

    static Map<String, Object> lead(long id) {
        return db.row("SELECT status, status_reason, unassigned_since FROM leads WHERE id = ?", id);
    }

    static JsonObject audit(String column, String action) {
        return JsonParser.parseString(db.row("SELECT " + column + "::text AS j FROM audit_log WHERE action = ?", action).get("j").toString())
                .getAsJsonObject();
    }

    static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    /** Everything an action could change: mails, audit rows, leads' status and reason. */
    static List<Object> state() {
        return List.of(db.rows("SELECT * FROM lead_distributions ORDER BY id"), db.rows("SELECT * FROM audit_log ORDER BY id"),
                db.rows("SELECT id, status, status_reason, unassigned_since, updated_at FROM leads ORDER BY id"));
    }

    /** Runs a refused action: the problem it answers with; nothing is changed. */
    static ApiProblem refused(ThrowingSupplier<?> action) {
        List<Object> before = state();
        ApiProblem problem = catchThrowableOfType(ApiProblem.class, action::get);
        assertThat(problem).as("refused").isNotNull();
        assertThat(state()).as("nothing changed").isEqualTo(before);
        return problem;
    }

    static void assertProblem(ApiProblem problem, int status, String detail) {
        assertThat(problem.status()).isEqualTo(status);
        assertThat(problem.detail()).isEqualTo(detail);
    }

    @Test
    void aResendIsANewMailPointingAtTheMailTheAgentReceivedRecordedWithItsAuditRow() {
        long agent = agent("Resend Agent", "80331");
        long lead = data.lead("80331", "München");
        long first = sentMail(lead, agent);

        LeadActions.NewMail resend = actions.resend(Long.toString(lead), new Requests.Resend(agent), ADMIN);

        assertThat(resend.leadId()).isEqualTo(lead);
        assertThat(resend.customerId()).isEqualTo(agent);
        assertThat(resend.kind()).isEqualTo("resend");
        Map<String, Object> row = mail(resend.distributionId());
        assertThat(row).containsEntry("kind", "resend").containsEntry("role", "only").containsEntry("status", "pending")
                .containsEntry("resend_of", first).containsEntry("requested_by", "ops-admin").containsEntry("forced", false)
                .containsEntry("customer_id", agent);
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE id = ? AND scheduled_for <= now() AND enqueued_at IS NOT NULL",
                resend.distributionId())).isEqualTo(1);
        assertThat(lead(lead).get("status")).isEqualTo("distributed");
        Map<String, Object> audit = db.row("SELECT actor, entity, entity_id FROM audit_log WHERE action = 'lead.resend'");
        assertThat(audit).containsEntry("actor", "ops-admin").containsEntry("entity", "lead").containsEntry("entity_id", lead);
        assertThat(audit("before", "lead.resend")).isEqualTo(json("{\"status\":\"distributed\"}"));
        assertThat(audit("after", "lead.resend")).isEqualTo(json("{\"kind\":\"resend\",\"status\":\"distributed\",\"resendOf\":" + first
                + ",\"customerId\":" + agent + ",\"distributionId\":" + resend.distributionId() + "}"));
    }

    @Test
    void aResendNeedsNeitherCoverageNorAnEndedPause() {
        long agent = data.customer("Paused Agent", "paid"); // no subscription at all
        long lead = data.lead("80331", "München");
        sentMail(lead, agent);
        db.update("UPDATE customers SET paused_until = now() + interval '7 days' WHERE id = ?", agent);

        assertThat(actions.resend(Long.toString(lead), new Requests.Resend(agent), ADMIN).kind()).isEqualTo("resend");
    }

    @Test
    void aResendIsRefusedWithTheReasonAndChangesNothing() {
        long agent = agent("Had It", "80331");
        long other = agent("Never Had It", "80331");
        long lead = data.lead("80331", "München");
        sentMail(lead, agent);
        long skippedAgent = agent("Skipped Agent", "80331");
        long skipped = data.distribution(lead, skippedAgent, Instant.now());
        db.update("UPDATE lead_distributions SET status = 'skipped' WHERE id = ?", skipped);
        String id = Long.toString(lead);

        assertProblem(refused(() -> actions.resend("999999", new Requests.Resend(agent), ADMIN)), 404, "no lead 999999");
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(999999L), ADMIN)), 404, "no customer 999999");
        assertProblem(refused(() -> actions.resend("4x", new Requests.Resend(agent), ADMIN)), 400, "the lead id must be a number");
        assertThat(refused(() -> actions.resend(id, new Requests.Resend(null), ADMIN)).status()).isEqualTo(400);
        assertThat(refused(() -> actions.resend(id, "", ADMIN)).status()).isEqualTo(400);
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(other), ADMIN)), 409,
                "customer " + other + " never received lead " + lead);
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(skippedAgent), ADMIN)), 409,
                "customer " + skippedAgent + " never received lead " + lead);

        db.update("UPDATE customers SET status = 'past_due' WHERE id = ?", agent);
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(agent), ADMIN)), 409,
                "customer " + agent + " is past_due: only paid agents get mails");
        db.update("UPDATE customers SET status = 'paid' WHERE id = ?", agent);

        db.update("UPDATE leads SET status = 'parked' WHERE id = ?", lead);
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(agent), ADMIN)), 409, "lead " + lead + " is parked: unpark it first");
        db.update("UPDATE leads SET status = 'distributed' WHERE id = ?", lead);

        db.update("DELETE FROM lead_pdfs WHERE lead_id = ?", lead);
        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(agent), ADMIN)), 409, "lead " + lead + " has no lead sheet (PDF) any more");
    }

    @Test
    void aSecondResendWhileTheFirstIsOnItsWayIsRefused() {
        long agent = agent("Double Click", "80331");
        long lead = data.lead("80331", "München");
        sentMail(lead, agent);
        long first = actions.resend(Long.toString(lead), new Requests.Resend(agent), ADMIN).distributionId();

        assertProblem(refused(() -> actions.resend(Long.toString(lead), new Requests.Resend(agent), ADMIN)), 409,
                "a resend of lead " + lead + " to customer " + agent + " is still on its way (mail " + first + ")");

        db.update("UPDATE lead_distributions SET status = 'sent', sent_at = now() WHERE id = ?", first);
        assertThat(actions.resend(Long.toString(lead), new Requests.Resend(agent), ADMIN).distributionId()).isGreaterThan(first);
    }

    @Test
    void aHandOutToACoveringAgentDistributesAnExpiredLead() {
        long agent = agent("Manual Agent", "803");
        long lead = data.lead("80331", "München");
        db.update("UPDATE leads SET status = 'expired', status_reason = 'nobody', unassigned_since = now() - interval '8 days' WHERE id = ?", lead);

        LeadActions.NewMail manual = actions.assign(Long.toString(lead), new Requests.Assign(agent, null), ADMIN);

        assertThat(manual.kind()).isEqualTo("manual");
        assertThat(mail(manual.distributionId())).containsEntry("kind", "manual").containsEntry("role", "only")
                .containsEntry("status", "pending").containsEntry("requested_by", "ops-admin").containsEntry("forced", false)
                .containsEntry("resend_of", null);
        assertThat(lead(lead)).containsEntry("status", "distributed").containsEntry("status_reason", null)
                .containsEntry("unassigned_since", null);
        assertThat(audit("before", "lead.assign")).isEqualTo(json("{\"status\":\"expired\"}"));
        assertThat(audit("after", "lead.assign").get("force").getAsBoolean()).isFalse();
        assertThat(audit("after", "lead.assign").get("status").getAsString()).isEqualTo("distributed");
    }

    @Test
    void anAgentOutsideThePlzGetsTheLeadOnlyWithForceAndTheMonthlyCapDoesNotStopIt() {
        long agent = agent("Far Agent", "20095");
        db.update("UPDATE customers SET monthly_cap = 0 WHERE id = ?", agent);
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'unassigned', unassigned_since = now() WHERE id = ?", lead);

        assertProblem(refused(() -> actions.assign(Long.toString(lead), new Requests.Assign(agent, false), ADMIN)), 409,
                "customer " + agent + " does not cover PLZ 10115; force to hand it out anyway");
        LeadActions.NewMail forced = actions.assign(Long.toString(lead), new Requests.Assign(agent, true), ADMIN);

        assertThat(mail(forced.distributionId())).containsEntry("forced", true).containsEntry("kind", "manual");
        assertThat(audit("after", "lead.assign").get("force").getAsBoolean()).isTrue();
    }

    @Test
    void aHandOutIsRefusedWithTheReasonAndChangesNothing() {
        long agent = agent("Assign Agent", "10115");
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'expired' WHERE id = ?", lead);
        String id = Long.toString(lead);

        assertProblem(refused(() -> actions.assign("999999", new Requests.Assign(agent, false), ADMIN)), 404, "no lead 999999");
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(999999L, true), ADMIN)), 404, "no customer 999999");
        assertThat(refused(() -> actions.assign(id, new Requests.Assign(null, true), ADMIN)).status()).isEqualTo(400);
        assertThat(refused(() -> actions.assign(id, new Requests.Resend(agent), ADMIN)).status()).isEqualTo(400);

        db.update("UPDATE customers SET status = 'unpaid' WHERE id = ?", agent);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent, true), ADMIN)), 409,
                "customer " + agent + " is unpaid: only paid agents get leads");
        db.update("UPDATE customers SET status = 'paid', paused_until = '2099-01-01T00:00:00Z' WHERE id = ?", agent);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent, true), ADMIN)), 409,
                "customer " + agent + " is paused until 2099-01-01T00:00:00Z");
        db.update("UPDATE customers SET paused_until = now() - interval '1 day' WHERE id = ?", agent);

        db.update("UPDATE leads SET status = 'parked' WHERE id = ?", lead);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent, true), ADMIN)), 409, "lead " + lead + " is parked: unpark it first");
        // with its PLZ and lead sheet, but the homeowner did not consent (DIALFIRE_CONSENT_FIELD)
        db.update("UPDATE leads SET status = 'no_consent' WHERE id = ?", lead);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent, true), ADMIN)), 409,
                "lead " + lead + " has no consent to be passed on (DIALFIRE_CONSENT_FIELD)");
        db.update("UPDATE leads SET status = 'expired' WHERE id = ?", lead);

        db.update("DELETE FROM lead_pdfs WHERE lead_id = ?", lead);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent, true), ADMIN)), 409, "lead " + lead + " has no lead sheet (PDF)");

        long unroutable = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'unroutable', plz = NULL WHERE id = ?", unroutable);
        assertProblem(refused(() -> actions.assign(Long.toString(unroutable), new Requests.Assign(agent, true), ADMIN)), 409,
                "lead " + unroutable + " has no PLZ (unroutable): it cannot be mailed");
    }

    @Test
    void anErasedLeadIsRefusedEveryAction() {
        long agent = agent("Erased Agent", "10115");
        long lead = data.lead("10115", "Berlin");
        sentMail(lead, agent);
        db.update("UPDATE leads SET status = 'parked', erased_at = now(), erased_reason = 'request' WHERE id = ?", lead);
        String id = Long.toString(lead);
        String erased = "lead " + lead + " was erased (data protection): its homeowner data is gone";

        assertProblem(refused(() -> actions.resend(id, new Requests.Resend(agent), ADMIN)), 409, erased);
        assertProblem(refused(() -> actions.assign(id, new Requests.Assign(agent("Other Agent", "10115"), true), ADMIN)), 409, erased);
        assertProblem(refused(() -> actions.unpark(id, ADMIN)), 409, erased);
        assertProblem(refused(() -> actions.park(id, new Requests.Park("again"), ADMIN)), 409, erased);
    }

    @Test
    void anAgentWithAMailOfTheLeadAlreadyIsToldToUseResend() {
        long agent = agent("Has It", "10115");
        long lead = data.lead("10115", "Berlin");
        long first = sentMail(lead, agent);

        assertProblem(refused(() -> actions.assign(Long.toString(lead), new Requests.Assign(agent, true), ADMIN)), 409,
                "customer " + agent + " already has mail " + first + " of lead " + lead + " (sent): use resend");

        long skippedAgent = agent("Skipped It", "10115");
        long skipped = data.distribution(lead, skippedAgent, Instant.now());
        db.update("UPDATE lead_distributions SET status = 'skipped', status_reason = 'lead parked' WHERE id = ?", skipped);
        assertProblem(refused(() -> actions.assign(Long.toString(lead), new Requests.Assign(skippedAgent, true), ADMIN)), 409,
                "customer " + skippedAgent + " already has mail " + skipped + " of lead " + lead + " (skipped): an agent gets one "
                        + "planned or manual mail per lead");
    }

    @Test
    void parkingKeepsThePreviousStatusInTheAuditAndUnparkingMakesTheLeadPendingAgain() {
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'unassigned', unassigned_since = now() - interval '2 days' WHERE id = ?", lead);

        LeadActions.Parked parked = actions.park(Long.toString(lead), new Requests.Park("  Eigentümer hat abgesagt  "), ADMIN);

        assertThat(parked).isEqualTo(new LeadActions.Parked(lead, "parked", "parked by ops-admin: Eigentümer hat abgesagt"));
        assertThat(lead(lead)).containsEntry("status", "parked").containsEntry("status_reason", "parked by ops-admin: Eigentümer hat abgesagt");
        assertThat(audit("before", "lead.park")).isEqualTo(json("{\"status\":\"unassigned\"}"));
        assertThat(audit("after", "lead.park").get("status").getAsString()).isEqualTo("parked");

        assertThat(actions.unpark(Long.toString(lead), ADMIN)).isEqualTo(new LeadActions.Unparked(lead, "pending"));
        assertThat(lead(lead)).containsEntry("status", "pending").containsEntry("status_reason", null).containsEntry("unassigned_since", null);
        assertThat(audit("before", "lead.unpark")).isEqualTo(json("{\"status\":\"parked\"}"));
        assertThat(audit("after", "lead.unpark")).isEqualTo(json("{\"status\":\"pending\"}"));
    }

    @Test
    void parkAndUnparkAreRefusedWithTheReasonAndChangeNothing() {
        long lead = data.lead("10115", "Berlin");
        String id = Long.toString(lead);

        assertProblem(refused(() -> actions.park("999999", new Requests.Park("why"), ADMIN)), 404, "no lead 999999");
        assertThat(refused(() -> actions.park(id, new Requests.Park(null), ADMIN)).status()).isEqualTo(400);
        assertThat(refused(() -> actions.park(id, new Requests.Park("   "), ADMIN)).status()).isEqualTo(400);
        assertThat(refused(() -> actions.park(id, null, ADMIN)).status()).isEqualTo(400);
        assertProblem(refused(() -> actions.park(id, new Requests.Park("x".repeat(201)), ADMIN)), 400,
                "reason is 201 characters long; at most 200");
        assertProblem(refused(() -> actions.park(id, new Requests.Park("two\nlines"), ADMIN)), 400,
                "reason must be one line without control characters");
        assertProblem(refused(() -> actions.unpark(id, ADMIN)), 409, "lead " + lead + " is not parked (pending)");
        assertProblem(refused(() -> actions.unpark("999999", ADMIN)), 404, "no lead 999999");

        assertThat(actions.park(id, new Requests.Park("x".repeat(200)), ADMIN).status()).isEqualTo("parked");
        assertProblem(refused(() -> actions.park(id, new Requests.Park("again"), ADMIN)), 409, "lead " + lead + " is already parked");
    }
}
