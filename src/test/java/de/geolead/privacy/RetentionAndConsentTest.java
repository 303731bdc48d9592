package de.geolead.privacy;

import de.geolead.leadview.LeadView;
import de.geolead.leadview.TimelineEvent;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retention and consent end to end: Dialfire simulator → import → distribution → delivery over SMTP (GreenMail) →
 * retention, on the real PostgreSQL and broker, with GEOLEAD_RETENTION=PT10S and DIALFIRE_CONSENT_FIELD=einwilligung.
 */
class RetentionAndConsentTest {

    static final String CAMPAIGN = "RETENTIONCAMPAIGN";
    static final String TOKEN = "retention-token";
    static final String TASK = "anrufen";
    static final Duration RETENTION = Duration.ofSeconds(10);

    @TempDir
    static Path dataDir;
    static DialfireSimulator dialfire;
    static Mailbox mailbox;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final AtomicInteger sequence = new AtomicInteger();

    @BeforeAll
    static void start() {
        dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        mailbox = new Mailbox();
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("dialfire.base.url", dialfire.baseUrl());
        props.put("dialfire.campaign.id", CAMPAIGN);
        props.put("dialfire.campaign.token", TOKEN);
        props.put("dialfire.consent.field", "einwilligung");
        props.put("geolead.retention", RETENTION.toString());
        props.put("geolead.retention.cron", RunningApp.NEVER);
        // followers wait an hour: their mails stay pending while the test runs
        props.put("geolead.head.start", "PT1H");
        props.put("geolead.sweep.grace", "PT0S");
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
        dialfire.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        dialfire.reset();
        mailbox.clear();
    }

    /** A paid agent covering {@code plz}. */
    static long agent(String plz) {
        long agent = data.customer("Makler " + plz + "-" + sequence.incrementAndGet(), "paid");
        data.subscription(agent, plz);
        return agent;
    }

    /** A contact with its lead sheet; {@code consent} the einwilligung field (null: no such field). */
    static String contact(String plz, String consent) {
        int n = sequence.incrementAndGet();
        String path = "leads/retention-" + n + ".pdf";
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(Map.of("ort", "Berlin", "vorname", "Erika", "nachname", "Muster" + n)),
                "application/pdf");
        Map<String, String> fields = new HashMap<>(Map.of("vorname", "Erika", "nachname", "Muster" + n, "strasse", "Musterweg " + n,
                "plz", plz, "ort", "Berlin", "pdf_url", path));
        if (consent != null) {
            fields.put("einwilligung", consent);
        }
        return dialfire.addContact(TASK, fields);
    }

    static Map<String, Object> lead(String dialfireId) {
        return db.row("SELECT l.*, l.contact::text AS contact_text, (SELECT count(*) FROM lead_pdfs p WHERE p.lead_id = l.id) AS pdfs "
                + "FROM leads l WHERE dialfire_id = ?", dialfireId);
    }

    static long id(String dialfireId) {
        return (Long) lead(dialfireId).get("id");
    }

    static long sent(String dialfireId) {
        return db.count("SELECT count(*) FROM lead_distributions d JOIN leads l ON l.id = d.lead_id WHERE l.dialfire_id = ? AND d.status = 'sent'",
                dialfireId);
    }

    @Test
    void aContactWithoutConsentIsParkedAndNeverMailedUntilANewerVersionBringsConsent() throws Exception {
        agent("10115");
        String without = contact("10115", "nein");
        String empty = contact("10115", null);
        String with = contact("10115", " Ja ");
        Instant withoutFired = dialfire.succeed(without, TASK);
        dialfire.succeed(empty, TASK);
        Instant withFired = dialfire.succeed(with, TASK);

        app.runImportExpectingSuccess();

        Map<String, Object> parked = lead(without);
        assertThat(parked.get("status")).isEqualTo("no_consent");
        assertThat(parked.get("status_reason")).isEqualTo("no consent: field 'einwilligung' holds no consent value");
        assertThat(parked.get("consent_value")).isEqualTo("nein");
        assertThat(((Timestamp) parked.get("consent_at")).toInstant()).as("the fired time of its Dialfire transaction").isEqualTo(withoutFired);
        assertThat(parked.get("pdfs")).as("no lead sheet fetched for it").isEqualTo(0L);
        assertThat(parked.get("plz")).isEqualTo("10115");
        assertThat(lead(empty)).containsEntry("status", "no_consent").containsEntry("consent_value", "")
                .containsEntry("status_reason", "no consent: field 'einwilligung' is empty");
        assertThat(lead(with)).containsEntry("consent_value", "Ja").containsEntry("status_reason", null);
        assertThat(lead(with).get("status")).isIn("pending", "distributed");
        assertThat(((Timestamp) lead(with).get("consent_at")).toInstant()).isEqualTo(withFired);
        await().atMost(Duration.ofSeconds(20)).until(() -> sent(with) == 1);

        // neither the sweep nor a stray message plans a lead without consent
        try (LogCapture log = LogCapture.open()) {
            app.context().createProducerTemplate().sendBody("direct:distribution-sweep-run", null);
            app.publishLead(id(without));
            await().atMost(Duration.ofSeconds(10)).until(() -> !log.linesContaining("Lead " + id(without) + ": already no_consent").isEmpty());
        }
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id IN (?, ?)", id(without), id(empty))).isZero();
        assertThat(mailbox.messages()).hasSize(1);
        // the lead view and its timeline tell it
        LeadView.Detail detail = app.bean("leadView", LeadView.class).detail(Long.toString(id(without)));
        assertThat(detail.consentValue()).isEqualTo("nein");
        assertThat(detail.consentAt()).isEqualTo(withoutFired.toString());
        assertThat(detail.timeline()).extracting(TimelineEvent::type).containsExactly("imported", "parked");

        // the homeowner consents: Dialfire's next $version makes it a lead like any other
        Instant consented = dialfire.updateFields(without, Map.of("einwilligung", "einverstanden"));
        app.runImportExpectingSuccess();

        Map<String, Object> now = lead(without);
        assertThat(now.get("consent_value")).isEqualTo("einverstanden");
        assertThat(((Timestamp) now.get("consent_at")).toInstant()).isEqualTo(consented);
        assertThat(now.get("pdfs")).isEqualTo(1L);
        await().atMost(Duration.ofSeconds(20)).until(() -> sent(without) == 1);
        assertThat(mailbox.messages()).hasSize(2);
        assertThat(lead(empty).get("status")).isEqualTo("no_consent");
    }

    @Test
    void theRetentionErasesWhatIsDueKeepsTheRestAndAnErasedLeadIsNeverImportedAgain() throws Exception {
        agent("80331");
        agent("10115");
        agent("10115");
        String mailed = contact("80331", "ja");
        String withFollower = contact("10115", "ja");
        String unroutable = contact("99", "ja");
        for (String id : List.of(mailed, withFollower, unroutable)) {
            dialfire.succeed(id, TASK);
        }
        app.runImportExpectingSuccess();
        assertThat(lead(unroutable).get("status")).isEqualTo("unroutable");
        await().atMost(Duration.ofSeconds(20)).until(() -> sent(mailed) == 1 && sent(withFollower) == 1);
        assertThat(db.count("SELECT count(*) FROM lead_distributions d JOIN leads l ON l.id = d.lead_id "
                + "WHERE l.dialfire_id = ? AND d.status = 'pending' AND d.role = 'follower'", withFollower)).isEqualTo(1);
        // GEOLEAD_RETENTION passes for the mails and the parking
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() -> db.count(
                "SELECT count(*) FROM leads l WHERE l.dialfire_id IN (?, ?) AND GREATEST(l.updated_at, "
                        + "(SELECT max(sent_at) FROM lead_distributions d WHERE d.lead_id = l.id)) < now() - make_interval(secs => ?)",
                mailed, unroutable, RETENTION.toSeconds() + 1) == 2);
        long fresh = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'invalid' WHERE id = ?", fresh);
        List<Map<String, Object>> mailsBefore = db.rows("SELECT id, lead_id, customer_id, status, sent_at, message_id FROM lead_distributions ORDER BY id");

        List<String> lines;
        try (LogCapture log = LogCapture.open()) {
            app.context().createProducerTemplate().sendBody("direct:data-retention-run", null);
            lines = log.lines();
        }

        for (String erased : List.of(mailed, unroutable)) {
            Map<String, Object> lead = lead(erased);
            assertThat(lead.get("contact_text")).as(erased).isEqualTo("{}");
            assertThat(lead.get("pdfs")).as(erased).isEqualTo(0L);
            assertThat(lead.get("pdf_url")).as(erased).isNull();
            assertThat(lead.get("erased_reason")).as(erased).isEqualTo("retention");
            assertThat(lines).as(erased).filteredOn(line -> line.contains("Lead " + id(erased) + " erased by retention")).hasSize(1);
        }
        assertThat(lead(mailed)).containsEntry("status", "distributed").containsEntry("plz", "80331").containsEntry("consent_value", "ja");
        assertThat(lead(withFollower).get("erased_at")).as("a follower still waits").isNull();
        assertThat(db.row("SELECT erased_at FROM leads WHERE id = ?", fresh).get("erased_at")).as("parked just now").isNull();
        assertThat(db.rows("SELECT id, lead_id, customer_id, status, sent_at, message_id FROM lead_distributions ORDER BY id"))
                .as("the distribution history stays").isEqualTo(mailsBefore);
        assertThat(lines).filteredOn(line -> line.contains("Data retention: 2 lead(s) erased, 0 failed, 0 no longer due")).hasSize(1);
        assertThat(lines).as("no homeowner data in the log").noneMatch(line -> line.contains("Muster"));
        assertThat(db.row("SELECT last_summary FROM job_runs WHERE job = 'data-retention'").get("last_summary"))
                .asString().startsWith("Data retention: 2 lead(s) erased");
        MeterRegistry meters = app.context().getRegistry().findSingleByType(MeterRegistry.class);
        assertThat(meters.get("geolead.retention.erased").functionCounter().count()).isEqualTo(2.0);
        assertThat(meters.get("geolead.retention.last.success").gauge().value()).isPositive();
        LeadView.Detail detail = app.bean("leadView", LeadView.class).detail(Long.toString(id(mailed)));
        assertThat(detail.contact()).isEmpty();
        assertThat(detail.erasedReason()).isEqualTo("retention");
        assertThat(detail.erasedAt()).isNotNull();
        assertThat(detail.timeline()).last().satisfies(event -> {
            assertThat(event.type()).isEqualTo("erased");
            assertThat(event.text()).isEqualTo("erased on " + detail.erasedAt().substring(0, 10) + " (retention)");
        });

        // Dialfire sends both contacts again with a new $version: nothing of them is written back
        Map<String, Object> mailedBefore = lead(mailed);
        dialfire.updateFields(mailed, Map.of("ort", "Berlin-Mitte"));
        dialfire.updateFields(unroutable, Map.of("plz", "10115"));
        app.runImportExpectingSuccess();

        for (String erased : List.of(mailed, unroutable)) {
            Map<String, Object> lead = lead(erased);
            assertThat(lead.get("contact_text")).as(erased).isEqualTo("{}");
            assertThat(lead.get("pdfs")).as(erased).isEqualTo(0L);
        }
        assertThat(lead(unroutable).get("status")).isEqualTo("unroutable");
        assertThat(lead(mailed).get("dialfire_version")).isEqualTo(mailedBefore.get("dialfire_version"));
        assertThat(lead(mailed).get("updated_at")).isEqualTo(mailedBefore.get("updated_at"));
        assertThat(sent(mailed)).isEqualTo(1);
    }

    @Test
    void anErasedLeadWaitingForItsPdfIsNotTriedAgain() {
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'pdf_missing', pdf_failure = 'transient', pdf_retry_until = now() + interval '1 day', "
                + "updated_at = now() - interval '1 hour' WHERE id = ?", lead);
        new Anonymiser(new de.geolead.db.Database(db.dataSource())).erase(lead, Anonymiser.REQUEST);

        // its stored contact is '{}' now: tried again, it would fail the retries ("contact without $id")
        try (LogCapture log = LogCapture.open()) {
            app.runImportExpectingSuccess();
            assertThat(log.linesWithExceptions()).noneMatch(line -> line.startsWith("ERROR") || line.contains("without $id"));
        }

        assertThat(db.row("SELECT contact::text AS c, status FROM leads WHERE id = ?", lead))
                .containsEntry("c", "{}").containsEntry("status", "pdf_missing");
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", lead)).isZero();
    }
}
