package de.geolead.privacy;

import de.geolead.db.Database;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which leads the retention erases, against the real PostgreSQL, driven as the route drives it ({@link Retention#start},
 * batches, {@link Retention#erase} per lead, {@link Retention#finish}): GEOLEAD_RETENTION (here P180D) after the last
 * mail or parking; never a lead with open work.
 */
class RetentionTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final Duration RETENTION = Duration.ofDays(180);

    final Database database = new Database(db.dataSource());
    /** Batches of two: a run over the cases below takes several. */
    final Retention retention = new Retention(database, new Anonymiser(database), RETENTION, Clock.systemUTC(), 2);
    long agent;

    @BeforeEach
    void cleanSlate() {
        db.reset();
        agent = data.customer("Makler Alt", "paid");
    }

    /** A lead with its PDF, in {@code status}, last changed {@code daysAgo} days ago. */
    long lead(String status, int daysAgo) {
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = ?, updated_at = now() - make_interval(days => ?) WHERE id = ?", status, daysAgo, lead);
        return lead;
    }

    /** A mail of the lead to a new agent in {@code status}, sent {@code daysAgo} days ago when sent. */
    long mail(long lead, String status, int daysAgo) {
        long to = data.customer("Makler " + lead + status + daysAgo, "paid");
        long mail = data.distribution(lead, to, Instant.now().minus(Duration.ofDays(daysAgo)));
        db.update("UPDATE lead_distributions SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN now() - make_interval(days => ?) END "
                + "WHERE id = ?", status, status, daysAgo, mail);
        return mail;
    }

    /** One run as the route makes it; returns the summary. */
    Retention.Summary run() {
        Retention.Run run = retention.start();
        while (run.hasMore()) {
            for (long lead : retention.nextBatch(run)) {
                retention.erase(run, lead);
            }
        }
        return retention.finish(run);
    }

    Set<Long> erased() {
        Set<Long> ids = new TreeSet<>();
        db.rows("SELECT id FROM leads WHERE erased_at IS NOT NULL").forEach(r -> ids.add((Long) r.get("id")));
        return ids;
    }

    @Test
    void erasesLeadsWhoseLastMailOrParkingIsOlderThanTheRetentionAndKeepsTheRest() {
        Map<String, Long> due = new LinkedHashMap<>();
        Map<String, Long> kept = new LinkedHashMap<>();
        long mailedLongAgo = lead("distributed", 200);
        mail(mailedLongAgo, "sent", 200);
        mail(mailedLongAgo, "skipped", 200);
        due.put("distributed, last mail 200 days ago", mailedLongAgo);
        for (String parked : List.of("unroutable", "pdf_missing", "invalid", "parked", "no_consent", "expired")) {
            due.put(parked + " 200 days ago", lead(parked, 200));
            kept.put(parked + " 10 days ago", lead(parked, 10));
        }
        long mailedRecently = lead("distributed", 200);
        mail(mailedRecently, "sent", 200);
        mail(mailedRecently, "sent", 10);
        kept.put("distributed, last mail 10 days ago", mailedRecently);
        long follower = lead("distributed", 200);
        mail(follower, "sent", 200);
        mail(follower, "pending", 200);
        kept.put("head start mailed 200 days ago, a follower still pending", follower);
        long sending = lead("distributed", 200);
        mail(sending, "sent", 200);
        mail(sending, "sending", 200);
        kept.put("a mail being sent", sending);
        long neverSent = lead("distributed", 200);
        mail(neverSent, "skipped", 200);
        kept.put("distributed without a sent mail (the sweep plans it again)", neverSent);
        kept.put("pending", lead("pending", 200));
        kept.put("unassigned", lead("unassigned", 200));
        long retrying = lead("pdf_missing", 200);
        db.update("UPDATE leads SET pdf_failure = 'transient', pdf_retry_until = now() + interval '1 hour' WHERE id = ?", retrying);
        kept.put("pdf_missing within its retry period", retrying);
        long parkedAfterMail = lead("parked", 200);
        mail(parkedAfterMail, "sent", 10);
        kept.put("parked 200 days ago, mailed 10 days ago", parkedAfterMail);
        long returned = lead("distributed", 200);
        long returnedMail = mail(returned, "sent", 200);
        db.update("INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, channel, filed_by) "
                + "SELECT ?, customer_id, id, 'unreachable', 'api', 'ops' FROM lead_distributions WHERE id = ?", returned, returnedMail);
        kept.put("a return still open", returned);
        long erasedBefore = lead("distributed", 200);
        mail(erasedBefore, "sent", 200);
        new Anonymiser(database).erase(erasedBefore, Anonymiser.REQUEST);

        Retention.Summary summary = run();

        Set<Long> expected = new TreeSet<>(due.values());
        expected.add(erasedBefore);
        assertThat(erased()).as("erased: " + due.keySet()).isEqualTo(expected);
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_reason = 'retention'")).isEqualTo(due.size());
        assertThat(summary.erased()).isEqualTo(due.size());
        assertThat(summary.failed()).isZero();
        for (Map.Entry<String, Long> lead : due.entrySet()) {
            assertThat(db.row("SELECT contact::text AS c FROM leads WHERE id = ?", lead.getValue()).get("c")).as(lead.getKey()).isEqualTo("{}");
            assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", lead.getValue())).as(lead.getKey()).isZero();
        }
        for (Map.Entry<String, Long> lead : kept.entrySet()) {
            assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", lead.getValue())).as(lead.getKey()).isEqualTo(1);
        }
        // the distribution history stays
        assertThat(db.rows("SELECT status FROM lead_distributions WHERE lead_id = ? ORDER BY id", mailedLongAgo))
                .extracting(r -> r.get("status")).containsExactly("sent", "skipped");
        Map<String, Object> job = db.row("SELECT last_success_at, last_summary FROM job_runs WHERE job = 'data-retention'");
        assertThat(job.get("last_success_at")).isNotNull();
        assertThat(job.get("last_summary")).isEqualTo(summary.describe());
        assertThat(summary.describe()).startsWith("Data retention: " + due.size() + " lead(s) erased, 0 failed, 0 no longer due");

        // the next run finds nothing
        assertThat(run().erased()).isZero();
    }

    @Test
    void aLeadIsCheckedAgainRightBeforeItsErasure() {
        long lead = lead("distributed", 200);
        mail(lead, "sent", 200);
        Retention.Run run = retention.start();
        assertThat(retention.nextBatch(run)).containsExactly(lead);
        // meanwhile an admin sends it again: a resend waits
        mail(lead, "pending", 0);

        assertThat(retention.erase(run, lead)).isFalse();

        assertThat(erased()).isEmpty();
        assertThat(retention.finish(run)).isEqualTo(new Retention.Summary(0, 0, 1, run.summary().cutoff()));
    }

    @Test
    void aFailedErasureIsReportedWithoutValuesAndLeavesTheLeadAsItWas() {
        long lead = lead("parked", 200);
        db.execute("""
                CREATE FUNCTION refuse_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused for %', OLD.contact::text; END $$""");
        db.execute("CREATE TRIGGER refuse_erasure BEFORE UPDATE OF erased_at ON leads FOR EACH ROW EXECUTE FUNCTION refuse_erasure()");
        try {
            Retention.Run run = retention.start();
            assertThat(retention.nextBatch(run)).containsExactly(lead);
            List<Throwable> thrown = new ArrayList<>();
            assertThatThrownBy(() -> retention.erase(run, lead)).satisfies(thrown::add);

            String line = retention.failed(run, lead, thrown.get(0));

            assertThat(line).isEqualTo("Data retention: erasing lead " + lead + " failed, the others go on: IllegalStateException (SQLState P0001)");
            assertThat(run.summary().failed()).isEqualTo(1);
            assertThat(erased()).isEmpty();
            assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", lead)).isEqualTo(1);
        } finally {
            db.execute("DROP TRIGGER refuse_erasure ON leads");
            db.execute("DROP FUNCTION refuse_erasure()");
        }
    }
}
