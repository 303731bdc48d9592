package de.geolead.privacy;

import de.geolead.db.Database;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shared erasure against the real PostgreSQL: every column of the lead is either erased or kept (a new column must
 * be placed in one of the two lists), the PDF and the return notes go, the distribution history and the receipts stay,
 * pending mails are skipped, and a second call changes nothing.
 */
class AnonymiserTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    /** leads columns the erasure changes. */
    static final Set<String> ERASED = Set.of("contact", "contact_sealed", "contact_key", "pdf_url", "erased_at", "erased_reason");
    /** leads columns the erasure keeps: routing facts, times, statuses, consent. */
    static final Set<String> KEPT = Set.of("id", "plz", "dialfire_id", "dialfire_version", "status", "status_reason", "created_at",
            "updated_at", "processed_at", "unassigned_since", "pdf_failure", "pdf_retry_until", "consent_value", "consent_at");

    final Anonymiser anonymiser = new Anonymiser(new Database(db.dataSource()));

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    /** A distributed lead with a sealed copy, consent, a sent, a sending and a pending mail, a return with notes and a receipt. */
    long fullLead() {
        long lead = data.lead("10115", "Berlin");
        db.update("UPDATE leads SET status = 'distributed', pdf_url = 'https://dialfire.test/leads/x.pdf', consent_value = 'ja', "
                + "consent_at = now() - interval '3 days', contact_sealed = '\\x0102'::bytea, contact_key = 'k1', processed_at = now(), "
                + "updated_at = now() - interval '2 days' WHERE id = ?", lead);
        long a = data.customer("Makler A", "paid");
        long b = data.customer("Makler B", "paid");
        long c = data.customer("Makler C", "paid");
        long sent = data.distribution(lead, a, Instant.now().minusSeconds(7200));
        db.update("UPDATE lead_distributions SET status = 'sent', sent_at = now() - interval '1 hour', message_id = '<m@test>' WHERE id = ?", sent);
        long sending = data.distribution(lead, b, Instant.now().minusSeconds(60));
        db.update("UPDATE lead_distributions SET status = 'sending', claimed_at = now() WHERE id = ?", sending);
        data.distribution(lead, c, Instant.now().plusSeconds(3600));
        db.update("INSERT INTO lead_returns (lead_id, customer_id, distribution_id, reason, note, channel, filed_by, status, decided_at, "
                + "decided_by, decision_note) VALUES (?, ?, ?, 'wrong_data', 'Frau Muster wohnt Musterweg 1', 'api', 'ops', 'rejected', "
                + "now(), 'ops', 'rief Frau Muster an')", lead, a, sent);
        db.update("INSERT INTO receipt_keys (key_id, public_key) VALUES ('k-test', 'cHVibGlj')");
        db.update("INSERT INTO delivery_receipts (seq, distribution_id, lead_id, body, hash, prev_hash, signature, key_id) "
                + "VALUES (1, ?, ?, '{}', ?, NULL, 'sig', 'k-test')", sent, lead, "a".repeat(64));
        return lead;
    }

    /** The whole lead row as JSON text (bytea as hex): comparable with equals. */
    static String row(long lead) {
        return (String) db.row("SELECT to_jsonb(l)::text AS j FROM leads l WHERE id = ?", lead).get("j");
    }

    @Test
    void everyColumnOfTheLeadIsEitherErasedOrKept() {
        Set<String> columns = new TreeSet<>();
        db.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'leads'")
                .forEach(row -> columns.add((String) row.get("column_name")));
        Set<String> placed = new TreeSet<>(ERASED);
        placed.addAll(KEPT);
        assertThat(columns).as("every leads column is listed as erased or kept").isEqualTo(placed);
    }

    @Test
    void erasesTheHomeownerDataAndKeepsTheRest() {
        long lead = fullLead();
        long other = data.lead("80331", "München");
        Map<String, Object> before = db.row("SELECT * FROM leads WHERE id = ?", lead);
        List<Map<String, Object>> mailsBefore = db.rows("SELECT * FROM lead_distributions ORDER BY id");
        String otherBefore = row(other);

        assertThat(anonymiser.erase(lead, Anonymiser.RETENTION)).isTrue();

        Map<String, Object> after = db.row("SELECT *, contact::text AS contact_text FROM leads WHERE id = ?", lead);
        assertThat(after.get("contact_text")).isEqualTo("{}");
        assertThat(after.get("contact_sealed")).isNull();
        assertThat(after.get("contact_key")).isNull();
        assertThat(after.get("pdf_url")).isNull();
        assertThat(after.get("erased_at")).isNotNull();
        assertThat(after.get("erased_reason")).isEqualTo("retention");
        for (String kept : KEPT) {
            assertThat(after.get(kept)).as(kept).isEqualTo(before.get(kept));
        }
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", lead)).isZero();
        assertThat(db.row("SELECT note, decision_note, reason, status FROM lead_returns WHERE lead_id = ?", lead))
                .containsEntry("note", null).containsEntry("decision_note", null)
                .containsEntry("reason", "wrong_data").containsEntry("status", "rejected");
        assertThat(db.count("SELECT count(*) FROM delivery_receipts WHERE lead_id = ?", lead)).isEqualTo(1);

        // the pending mail is skipped; the sent one and the one being sent stay as they are
        List<Map<String, Object>> mailsAfter = db.rows("SELECT * FROM lead_distributions ORDER BY id");
        assertThat(mailsAfter).hasSameSizeAs(mailsBefore);
        for (int i = 0; i < mailsBefore.size(); i++) {
            Map<String, Object> was = mailsBefore.get(i);
            Map<String, Object> now = mailsAfter.get(i);
            if ("pending".equals(was.get("status"))) {
                assertThat(now.get("status")).isEqualTo("skipped");
                assertThat(now.get("status_reason")).isEqualTo(Anonymiser.SKIP_REASON);
                Map<String, Object> rest = new HashMap<>(now);
                rest.put("status", was.get("status"));
                rest.put("status_reason", was.get("status_reason"));
                assertThat(rest).isEqualTo(was);
            } else {
                assertThat(now).isEqualTo(was);
            }
        }
        // another lead is untouched
        assertThat(row(other)).isEqualTo(otherBefore);
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", other)).isEqualTo(1);
    }

    @Test
    void aSecondErasureChangesNothingAndKeepsTheFirstReason() {
        long lead = fullLead();
        assertThat(anonymiser.erase(lead, Anonymiser.REQUEST)).isTrue();
        String first = row(lead);
        List<Map<String, Object>> mails = db.rows("SELECT * FROM lead_distributions ORDER BY id");

        assertThat(anonymiser.erase(lead, Anonymiser.RETENTION)).isFalse();

        assertThat(row(lead)).isEqualTo(first).contains("\"erased_reason\": \"request\"");
        assertThat(db.rows("SELECT * FROM lead_distributions ORDER BY id")).isEqualTo(mails);
        assertThat(anonymiser.erase(999_999, Anonymiser.RETENTION)).as("no such lead").isFalse();
    }

    @Test
    void anUnknownReasonIsRefusedAndChangesNothing() {
        long lead = fullLead();
        String before = row(lead);
        assertThatThrownBy(() -> anonymiser.erase(lead, "because")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("because");
        assertThat(row(lead)).isEqualTo(before);
    }
}
