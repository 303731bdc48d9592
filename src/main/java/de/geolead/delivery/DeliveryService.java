package de.geolead.delivery;

import de.geolead.db.Database;
import de.geolead.distribution.DeliveryWindow;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.UnreadableLeadData;
import de.geolead.receipts.Receipts;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The database side of sending one lead mail, called by the route {@code lead-delivery}.
 * {@link #prepare} reads the row again, runs the send-time check ({@link DeliveryCheck}: row still pending, lead not
 * parked, agent still paid, not paused, still covering the PLZ, delivery window open; manual hand-outs and resends
 * have rules of their own there) and records its verdict; for a mail to send it
 * composes the message ({@link #compose}) and claims the row ({@link #claim}) so that no other consumer sends it too;
 * the claim's transaction also issues the mail's signed receipt (de.geolead.receipts), which the mail carries.
 * After the SMTP send the route records the result.
 *
 * <p>A claim ({@code sending}) carries the row's attempt number and a lease ({@code lease_until}): the result of an
 * attempt is recorded only while the row still carries that attempt's number, and the sweep takes a row back only
 * once its lease ran out. A transient SMTP failure puts the row back to {@code pending} with the time of its next
 * attempt (exponential backoff); only a permanent rejection, or trouble lasting longer than the retry period after
 * the mail fell due, makes it {@code failed}.
 *
 * <p>The homeowner's contact and PDF are read through {@link LeadContents} (sealed or plain). A lead whose data cannot
 * be read makes the mail {@code failed} with the reason (action {@code skipped}, so the route follows it up): retrying
 * would not help until the key is back.
 */
public class DeliveryService {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryService.class);
    /** The homeowner fields a mail shows, as Dialfire names them. */
    private static final List<String> LEAD_FIELDS = List.of("anrede", "vorname", "nachname", "strasse", "plz", "ort",
            "$phone", "telefon", "email", "objektart", "wohnflaeche", "$comment");

    private final Database db;
    private final DeliveryWindow window;
    private final LeadMailComposer composer;
    private final String from;
    private final Clock clock;
    private final MailRetry retry;
    private final ReturnLink.Maker returnLinks;
    private final LeadContents contents;
    private final Receipts receipts;
    private final Session session = Session.getInstance(new Properties());

    public DeliveryService(Database db, DeliveryWindow window, LeadMailComposer composer, String from, Clock clock,
                           MailRetry retry) {
        this(db, window, composer, from, clock, retry, ReturnLink.Maker.NONE);
    }

    /** @param returnLinks the return link each mail carries (de.geolead.returns signs them) */
    public DeliveryService(Database db, DeliveryWindow window, LeadMailComposer composer, String from, Clock clock,
                           MailRetry retry, ReturnLink.Maker returnLinks) {
        this(db, window, composer, from, clock, retry, returnLinks, new LeadContents(db), null);
    }

    /**
     * @param returnLinks the return link each mail carries (de.geolead.returns signs them)
     * @param contents    how the mail reads the lead's contact and PDF (sealed with GEOLEAD_DATA_KEYS, or plain)
     * @param receipts    the signed receipt each mail carries (de.geolead.receipts); null = none
     */
    public DeliveryService(Database db, DeliveryWindow window, LeadMailComposer composer, String from, Clock clock,
                           MailRetry retry, ReturnLink.Maker returnLinks, LeadContents contents, Receipts receipts) {
        this.contents = contents;
        this.receipts = receipts;
        this.returnLinks = returnLinks;
        this.db = db;
        this.window = window;
        this.composer = composer;
        this.from = from;
        this.clock = clock;
        this.retry = retry;
    }

    /** A mail ready to send: the MIME message and its Message-ID. */
    public record Composed(MimeMessage message, String messageId) {
    }

    /** Checks a distribution at send time, records the verdict and, for {@code send}, composes the mail and claims the row. */
    public Delivery prepare(long distributionId) {
        Row row = run("Preparing distribution " + distributionId, () -> load(distributionId)).orElse(null);
        if (row == null) {
            return new Delivery(Delivery.DUPLICATE, distributionId, 0, 0, "-", "no such distribution", null, null, null);
        }
        DeliveryCheck.Verdict verdict = DeliveryCheck.check(row.facts(), window, clock.instant());
        switch (verdict.action()) {
            case Delivery.RESCHEDULE -> {
                run("Rescheduling distribution " + distributionId, () -> db.sql().sql(
                        "UPDATE lead_distributions SET scheduled_for = ?, enqueued_at = now() WHERE id = ? AND status = 'pending'")
                        .params(Timestamp.from(verdict.rescheduleAt()), distributionId).update());
                return row.delivery(Delivery.RESCHEDULE, null, verdict.rescheduleAt());
            }
            case Delivery.SKIPPED -> {
                if (!"pending".equals(row.status)) {
                    return row.delivery(Delivery.SKIPPED, verdict.reason(), null); // found given up: follow it up again
                }
                int skipped = run("Skipping distribution " + distributionId, () -> db.sql().sql(
                        "UPDATE lead_distributions SET status = 'skipped', status_reason = ? WHERE id = ? AND status = 'pending'")
                        .params(verdict.reason(), distributionId).update());
                return skipped == 1 ? row.delivery(Delivery.SKIPPED, verdict.reason(), null)
                        : row.delivery(Delivery.DUPLICATE, "taken by another consumer", null);
            }
            case Delivery.SEND -> {
                // compose first: a broken template must not leave the row claimed
                Composed mail;
                try {
                    mail = compose(row);
                } catch (UnreadableLeadData e) {
                    return unreadable(row, e);
                }
                Integer attempt = claimWithReceipt(distributionId, mail).orElse(null);
                if (attempt == null) {
                    return row.delivery(Delivery.DUPLICATE, "taken by another consumer", null);
                }
                return new Delivery(Delivery.SEND, distributionId, row.leadId, row.customerId, row.role, null, null,
                        mail.message(), mail.messageId(), attempt);
            }
            default -> {
                return row.delivery(verdict.action(), verdict.reason(), null);
            }
        }
    }

    /**
     * {@code pending} → {@code sending} with a fresh claim: the next attempt number (empty if another consumer
     * was faster), {@code claimed_at} now and a lease of {@link MailRetry#lease()}. The first claim records when the
     * mail fell due, from which the retry period counts.
     */
    public Optional<Integer> claim(long distributionId) {
        return run("Claiming distribution " + distributionId, () -> db.sql().sql("""
                UPDATE lead_distributions
                   SET status = 'sending', claimed_at = now(), lease_until = now() + ?::interval, attempts = attempts + 1,
                       due_at = COALESCE(due_at, scheduled_for, now()), next_attempt_at = NULL
                 WHERE id = ? AND status = 'pending'
                RETURNING attempts
                """).params(retry.lease().toMillis() + " milliseconds", distributionId).query(Integer.class).optional());
    }

    /**
     * A mail whose lead's contact or PDF cannot be read (a key missing from GEOLEAD_DATA_KEYS, altered bytes) is
     * {@code failed} at once with the reason: no retry, no claim. One ERROR line with ids.
     */
    private Delivery unreadable(Row row, UnreadableLeadData problem) {
        String reason = "lead data unreadable: " + problem.getMessage();
        int failed = run("Failing distribution " + row.distributionId, () -> db.sql().sql(
                "UPDATE lead_distributions SET status = 'failed', status_reason = ? WHERE id = ? AND status = 'pending'")
                .params(reason, row.distributionId).update());
        if (failed == 0) {
            return row.delivery(Delivery.DUPLICATE, "taken by another consumer", null);
        }
        LOG.error("Distribution {} (lead {}, customer {}) failed: {}", row.distributionId, row.leadId, row.customerId, reason);
        return row.delivery(Delivery.SKIPPED, reason, null);
    }

    /**
     * {@link #claim} and, in the same transaction, the mail's signed receipt (issued at the first claim, the stored one
     * on every later attempt), which is then attached to the composed mail as {@code receipt-<distribution id>.json}:
     * a claimed mail always has its receipt, and a mail never goes out without it.
     */
    private Optional<Integer> claimWithReceipt(long distributionId, Composed mail) {
        if (receipts == null) {
            return claim(distributionId);
        }
        Optional<ClaimWithReceipt> claimed = run("Claiming distribution " + distributionId, () -> db.inTransaction(() ->
                claim(distributionId).map(attempt -> new ClaimWithReceipt(attempt, receipts.issue(distributionId, mail.messageId())))));
        if (claimed.isEmpty()) {
            return Optional.empty();
        }
        Receipts.Issued receipt = claimed.get().receipt();
        try {
            LeadMailMessage.attachJson(mail.message(), receipt.fileName(), receipt.fileBytes());
        } catch (MessagingException e) {
            throw new IllegalStateException("Attaching receipt " + receipt.seq() + " to the mail of distribution " + distributionId + " failed", e);
        }
        return Optional.of(claimed.get().attempt());
    }

    private record ClaimWithReceipt(int attempt, Receipts.Issued receipt) {
    }

    /**
     * The mail of a distribution: composed from the templates with the lead sheet attached. Throws
     * {@link UnreadableLeadData} when the lead's contact or PDF cannot be read.
     */
    Composed compose(Row row) {
        Map<String, Object> contact = contents.contact(row.leadId, row.contact, row.contactSealed, row.contactKey);
        byte[] pdf = row.pdf == null ? null : contents.pdf(row.leadId, row.pdf, row.pdfKey);
        String messageId = LeadMailMessage.messageIdFor(row.leadId, row.distributionId, from);
        // the link's window counts from now: the mail goes out right after it is composed
        ReturnLink returnLink = returnLinks.linkFor(row.leadId, row.customerId, row.distributionId, clock.instant()).orElse(null);
        LeadMail mail = composer.compose(run("Reading the mail facts of distribution " + row.distributionId, () -> facts(row, contact)), returnLink);
        try {
            return new Composed(LeadMailMessage.build(session, from, row.email, mail, pdf, messageId), messageId);
        } catch (MessagingException e) {
            throw new IllegalStateException("Building the mail of distribution " + row.distributionId + " failed", e);
        }
    }

    /**
     * Records that SMTP accepted the mail of this attempt. False if the attempt no longer held the claim (its lease ran
     * out and the row was taken back): then the newer attempt's result stands.
     */
    public boolean markSent(long distributionId, int attempt, String messageId) {
        return run("Recording the sent mail of distribution " + distributionId, () -> db.sql().sql(
                "UPDATE lead_distributions SET status = 'sent', sent_at = now(), message_id = ?, status_reason = NULL, "
                        + "lease_until = NULL WHERE id = ? AND status = 'sending' AND attempts = ?")
                .params(messageId, distributionId, attempt).update()) == 1;
    }

    /**
     * After a failed SMTP attempt: a permanent rejection, or transient trouble after the retry period, makes the mail
     * {@code failed} with the reason; other trouble puts it back to {@code pending} with its next attempt time (the route
     * then schedules the message for that time, after this commit, so a crash in between leaves a pending row for the
     * sweep). Nothing changes if the attempt no longer held the claim.
     */
    public FailedAttempt afterFailedAttempt(long distributionId, int attempt, Throwable error) {
        SmtpFailure failure = SmtpFailure.of(error);
        return run("Recording the failed attempt " + attempt + " of distribution " + distributionId, () -> {
            Optional<Instant> due = db.sql().sql("SELECT due_at FROM lead_distributions WHERE id = ? AND status = 'sending' AND attempts = ?")
                    .params(distributionId, attempt)
                    .query((rs, n) -> Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant).orElseGet(clock::instant))
                    .optional();
            if (due.isEmpty()) {
                return new FailedAttempt(FailedAttempt.LOST, distributionId, attempt, null, failure.reason());
            }
            Instant dueAt = due.get();
            Instant next = failure.permanent() ? null : retry.nextAttempt(dueAt, attempt, clock.instant());
            if (next == null) {
                String reason = failure.permanent() ? failure.reason()
                        : "SMTP unavailable for longer than GEOLEAD_MAIL_RETRY_FOR (" + retry.retryFor() + ") since the mail was due at "
                        + dueAt + ", last error: " + failure.reason();
                int updated = db.sql().sql("UPDATE lead_distributions SET status = 'failed', status_reason = ?, lease_until = NULL "
                        + "WHERE id = ? AND status = 'sending' AND attempts = ?").params(reason, distributionId, attempt).update();
                return new FailedAttempt(updated == 1 ? FailedAttempt.FAILED : FailedAttempt.LOST, distributionId, attempt, null, reason);
            }
            String reason = "attempt " + attempt + " failed, retrying: " + failure.reason();
            int updated = db.sql().sql("UPDATE lead_distributions SET status = 'pending', next_attempt_at = ?, enqueued_at = now(), "
                    + "claimed_at = NULL, lease_until = NULL, status_reason = ? WHERE id = ? AND status = 'sending' AND attempts = ?")
                    .params(Timestamp.from(next), reason, distributionId, attempt).update();
            return new FailedAttempt(updated == 1 ? FailedAttempt.RETRY : FailedAttempt.LOST, distributionId, attempt, next, failure.reason());
        });
    }

    private Optional<Row> load(long distributionId) {
        return db.sql().sql("""
                SELECT d.lead_id, d.customer_id, d.status, d.role, d.kind, d.forced, d.scheduled_for, d.next_attempt_at,
                       c.status AS customer_status, c.paused_until, c.name, c.email,
                       l.plz, l.status AS lead_status, l.contact::text AS contact, l.contact_sealed, l.contact_key,
                       p.content AS pdf, p.content_key,
                       EXISTS (SELECT 1 FROM eligible_coverage e
                                WHERE e.customer_id = d.customer_id AND l.plz LIKE e.plz || '%') AS covered
                  FROM lead_distributions d
                  JOIN customers c ON c.id = d.customer_id
                  JOIN leads l ON l.id = d.lead_id
                  LEFT JOIN lead_pdfs p ON p.lead_id = l.id
                 WHERE d.id = ?
                """).param(distributionId).query((rs, n) -> Row.of(distributionId, rs)).optional();
    }

    private MailFacts facts(Row row, Map<String, Object> contact) {
        Map<String, String> fields = leadFields(contact);
        Instant exclusiveUntil = null;
        int others = 0;
        if ("head_start".equals(row.role)) {
            Object[] followers = db.sql().sql("SELECT count(*), min(scheduled_for) FROM lead_distributions WHERE lead_id = ? "
                            + "AND role = 'follower' AND status NOT IN ('skipped', 'failed')")
                    .param(row.leadId).query((rs, n) -> new Object[] {rs.getInt(1), rs.getTimestamp(2)}).single();
            others = (Integer) followers[0];
            exclusiveUntil = followers[1] == null ? null : ((Timestamp) followers[1]).toInstant();
        }
        Instant sharedSince = "follower".equals(row.role) ? row.scheduledFor : null;
        String role = row.role;
        if (!DeliveryCheck.PLANNED.equals(row.kind)) {
            // a hand-out or resend tells the agent whether other agents have the lead too, not when
            role = othersHaveIt(row) ? MailFacts.FOLLOWER : MailFacts.ONLY;
            sharedSince = null;
        }
        return new MailFacts(row.leadId, row.distributionId, row.plz, fields.getOrDefault("ort", ""), fields,
                row.name, role, exclusiveUntil, others, sharedSince);
    }

    /** Whether another agent has a planned or manual mail of the lead that is sent or still to go out. */
    private boolean othersHaveIt(Row row) {
        return db.sql().sql("SELECT EXISTS (SELECT 1 FROM lead_distributions WHERE lead_id = ? AND customer_id <> ? "
                        + "AND kind <> 'resend' AND status IN ('pending', 'sending', 'sent'))")
                .params(row.leadId, row.customerId).query(Boolean.class).single();
    }

    private static Map<String, String> leadFields(Map<String, Object> contact) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String key : LEAD_FIELDS) {
            Object value = contact.get(key);
            if (value != null && !value.toString().isBlank()) {
                fields.put(key, value.toString().trim());
            }
        }
        return fields;
    }

    /**
     * Runs database work; a failure is reported with {@code what} and PostgreSQL's SQLState only, since its message
     * may quote values (an agent's address).
     */
    private static <T> T run(String what, Supplier<T> work) {
        try {
            return work.get();
        } catch (DataAccessException e) {
            throw Database.failure(what, e);
        }
    }

    /** The distribution with everything the check and the mail need. */
    static final class Row {
        long distributionId;
        long leadId;
        long customerId;
        String status;
        String role;
        String kind;
        boolean forced;
        Instant scheduledFor;
        Instant nextAttemptAt;
        String customerStatus;
        Instant pausedUntil;
        String name;
        String email;
        String plz;
        String leadStatus;
        String contact;
        byte[] contactSealed;
        String contactKey;
        byte[] pdf;
        String pdfKey;
        boolean covered;

        static Row of(long distributionId, ResultSet rs) throws SQLException {
            Row row = new Row();
            row.distributionId = distributionId;
            row.leadId = rs.getLong("lead_id");
            row.customerId = rs.getLong("customer_id");
            row.status = rs.getString("status");
            row.role = rs.getString("role");
            row.kind = rs.getString("kind");
            row.forced = rs.getBoolean("forced");
            row.scheduledFor = rs.getTimestamp("scheduled_for").toInstant();
            row.nextAttemptAt = instant(rs.getTimestamp("next_attempt_at"));
            row.customerStatus = rs.getString("customer_status");
            row.pausedUntil = instant(rs.getTimestamp("paused_until"));
            row.name = rs.getString("name");
            row.email = rs.getString("email");
            row.plz = rs.getString("plz");
            row.leadStatus = rs.getString("lead_status");
            row.contact = rs.getString("contact");
            row.contactSealed = rs.getBytes("contact_sealed");
            row.contactKey = rs.getString("contact_key");
            row.pdf = rs.getBytes("pdf");
            row.pdfKey = rs.getString("content_key");
            row.covered = rs.getBoolean("covered");
            return row;
        }

        private static Instant instant(Timestamp timestamp) {
            return timestamp == null ? null : timestamp.toInstant();
        }

        DeliveryCheck.Facts facts() {
            return new DeliveryCheck.Facts(status, nextAttemptAt, customerStatus, pausedUntil, plz, covered, pdf != null,
                    kind, forced, leadStatus);
        }

        Delivery delivery(String action, String reason, Instant rescheduleAt) {
            return new Delivery(action, distributionId, leadId, customerId, role, reason, rescheduleAt, null, null);
        }
    }
}
