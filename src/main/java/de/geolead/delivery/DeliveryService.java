package de.geolead.delivery;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.distribution.DeliveryWindow;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The database side of sending one lead mail, called by the route {@code lead-delivery}.
 * At send time it checks again what may have changed since planning (row still pending, agent still
 * paid, not paused, still covering the PLZ, delivery window open), claims the row so that no other
 * consumer sends it too, and prepares the MIME message. After the SMTP send the route records the result.
 *
 * <p>A claim ({@code sending}) carries the row's attempt number and a lease ({@code lease_until}): the result of an
 * attempt is recorded only while the row still carries that attempt's number, and the sweep takes a row back only
 * once its lease ran out. A transient SMTP failure puts the row back to {@code pending} with the time of its next
 * attempt (exponential backoff); only a permanent rejection, or trouble lasting longer than the retry period after
 * the mail fell due, makes it {@code failed}.
 */
public class DeliveryService {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A message arriving this much before the row's next attempt time is a duplicate, not the retry's own message. */
    private static final Duration EARLY_TOLERANCE = Duration.ofSeconds(1);
    /** The homeowner fields a mail shows, as Dialfire names them. */
    private static final List<String> LEAD_FIELDS = List.of("anrede", "vorname", "nachname", "strasse", "plz", "ort",
            "$phone", "telefon", "email", "objektart", "wohnflaeche", "$comment");

    private final DataSource dataSource;
    private final DeliveryWindow window;
    private final LeadMailComposer composer;
    private final String from;
    private final Clock clock;
    private final MailRetry retry;
    private final Session session = Session.getInstance(new Properties());

    public DeliveryService(DataSource dataSource, DeliveryWindow window, LeadMailComposer composer, String from, Clock clock,
                           MailRetry retry) {
        this.dataSource = dataSource;
        this.window = window;
        this.composer = composer;
        this.from = from;
        this.clock = clock;
        this.retry = retry;
    }

    /** Decides what to do with a distribution and, for {@code send}, claims it and builds the message. */
    public Delivery prepare(long distributionId) {
        try (Connection c = dataSource.getConnection()) {
            Row row = load(c, distributionId);
            if (row == null) {
                return new Delivery(Delivery.DROP, distributionId, 0, 0, "-", "no such distribution", null, null, null);
            }
            if (!"pending".equals(row.status)) {
                return row.delivery(Delivery.DROP, "already " + row.status, null);
            }
            Instant now = clock.instant();
            if (row.nextAttemptAt != null && row.nextAttemptAt.isAfter(now.plus(EARLY_TOLERANCE))) {
                // a duplicate message (the sweep, a redelivery): the retry's own message is scheduled for then
                return row.delivery(Delivery.DROP, "next attempt is scheduled for " + row.nextAttemptAt, null);
            }
            if (!window.isOpen(now)) {
                Instant next = window.nextOpening(now);
                update(c, "UPDATE lead_distributions SET scheduled_for = ?, enqueued_at = now() WHERE id = ? AND status = 'pending'",
                        Timestamp.from(next), distributionId);
                return row.delivery(Delivery.RESCHEDULE, null, next);
            }
            String reason = ineligibility(row, now);
            if (reason != null) {
                int skipped = update(c, "UPDATE lead_distributions SET status = 'skipped', status_reason = ? WHERE id = ? AND status = 'pending'",
                        reason, distributionId);
                return row.delivery(skipped == 1 ? Delivery.SKIP : Delivery.DROP, skipped == 1 ? reason : "taken by another consumer", null);
            }
            // compose first: a broken template must not leave the row claimed
            String messageId = LeadMailMessage.messageIdFor(row.leadId, distributionId, from);
            LeadMail mail = composer.compose(facts(c, row));
            MimeMessage message = LeadMailMessage.build(session, from, row.email, mail, row.pdf, messageId);
            Integer attempt = claim(c, distributionId);
            if (attempt == null) {
                return row.delivery(Delivery.DROP, "taken by another consumer", null);
            }
            return new Delivery(Delivery.SEND, distributionId, row.leadId, row.customerId, row.role, null, null, message, messageId, attempt);
        } catch (SQLException e) {
            throw new IllegalStateException("Preparing distribution " + distributionId + " failed", e);
        } catch (MessagingException e) {
            throw new IllegalStateException("Building the mail of distribution " + distributionId + " failed", e);
        }
    }

    /**
     * {@code pending} → {@code sending} with a fresh claim: the next attempt number (returned; null if another consumer
     * was faster), {@code claimed_at} now and a lease of {@link MailRetry#lease()}. The first claim records when the
     * mail fell due, from which the retry period counts.
     */
    private Integer claim(Connection c, long distributionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE lead_distributions
                   SET status = 'sending', claimed_at = now(), lease_until = now() + ?::interval, attempts = attempts + 1,
                       due_at = COALESCE(due_at, scheduled_for, now()), next_attempt_at = NULL
                 WHERE id = ? AND status = 'pending'
                RETURNING attempts
                """)) {
            ps.setString(1, retry.lease().toMillis() + " milliseconds");
            ps.setLong(2, distributionId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        }
    }

    /**
     * Records that SMTP accepted the mail of this attempt. False if the attempt no longer held the claim (its lease ran
     * out and the row was taken back): then the newer attempt's result stands.
     */
    public boolean markSent(long distributionId, int attempt, String messageId) {
        return execute("UPDATE lead_distributions SET status = 'sent', sent_at = now(), message_id = ?, status_reason = NULL, "
                + "lease_until = NULL WHERE id = ? AND status = 'sending' AND attempts = ?", messageId, distributionId, attempt) == 1;
    }

    /**
     * After a failed SMTP attempt: a permanent rejection, or transient trouble after the retry period, makes the mail
     * {@code failed} with the reason; other trouble puts it back to {@code pending} with its next attempt time (the route
     * then schedules the message for that time, after this commit, so a crash in between leaves a pending row for the
     * sweep). Nothing changes if the attempt no longer held the claim.
     */
    public FailedAttempt afterFailedAttempt(long distributionId, int attempt, Throwable error) {
        SmtpFailure failure = SmtpFailure.of(error);
        try (Connection c = dataSource.getConnection()) {
            Instant dueAt = null;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT due_at FROM lead_distributions WHERE id = ? AND status = 'sending' AND attempts = ?")) {
                ps.setLong(1, distributionId);
                ps.setInt(2, attempt);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        Timestamp due = rs.getTimestamp(1);
                        dueAt = due == null ? clock.instant() : due.toInstant();
                    }
                }
            }
            if (dueAt == null) {
                return new FailedAttempt(FailedAttempt.LOST, distributionId, attempt, null, failure.reason());
            }
            Instant next = failure.permanent() ? null : retry.nextAttempt(dueAt, attempt, clock.instant());
            if (next == null) {
                String reason = failure.permanent() ? failure.reason()
                        : "SMTP unavailable for longer than GEOLEAD_MAIL_RETRY_FOR (" + retry.retryFor() + ") since the mail was due at "
                        + dueAt + ", last error: " + failure.reason();
                int updated = update(c, "UPDATE lead_distributions SET status = 'failed', status_reason = ?, lease_until = NULL "
                        + "WHERE id = ? AND status = 'sending' AND attempts = ?", reason, distributionId, attempt);
                return new FailedAttempt(updated == 1 ? FailedAttempt.FAILED : FailedAttempt.LOST, distributionId, attempt, null, reason);
            }
            String reason = "attempt " + attempt + " failed, retrying: " + failure.reason();
            int updated = update(c, "UPDATE lead_distributions SET status = 'pending', next_attempt_at = ?, enqueued_at = now(), "
                    + "claimed_at = NULL, lease_until = NULL, status_reason = ? WHERE id = ? AND status = 'sending' AND attempts = ?",
                    Timestamp.from(next), reason, distributionId, attempt);
            return new FailedAttempt(updated == 1 ? FailedAttempt.RETRY : FailedAttempt.LOST, distributionId, attempt, next, failure.reason());
        } catch (SQLException e) {
            throw new IllegalStateException("Recording the failed attempt " + attempt + " of distribution " + distributionId + " failed", e);
        }
    }

    private String ineligibility(Row row, Instant now) {
        if (!"paid".equals(row.customerStatus)) {
            return "customer is " + row.customerStatus + " at send time";
        }
        if (row.pausedUntil != null && row.pausedUntil.isAfter(now)) {
            return "customer paused until " + row.pausedUntil;
        }
        if (!row.covered) {
            return "no active subscription covers PLZ " + row.plz + " at send time";
        }
        if (row.pdf == null) {
            return "the lead sheet is missing";
        }
        return null;
    }

    private Row load(Connection c, long distributionId) throws SQLException {
        String sql = """
                SELECT d.lead_id, d.customer_id, d.status, d.role, d.scheduled_for, d.next_attempt_at,
                       c.status AS customer_status, c.paused_until, c.name, c.email,
                       l.plz, l.contact::text AS contact, p.content AS pdf,
                       EXISTS (SELECT 1 FROM eligible_coverage e
                                WHERE e.customer_id = d.customer_id AND l.plz LIKE e.plz || '%') AS covered
                  FROM lead_distributions d
                  JOIN customers c ON c.id = d.customer_id
                  JOIN leads l ON l.id = d.lead_id
                  LEFT JOIN lead_pdfs p ON p.lead_id = l.id
                 WHERE d.id = ?
                """;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, distributionId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Row row = new Row();
                row.distributionId = distributionId;
                row.leadId = rs.getLong("lead_id");
                row.customerId = rs.getLong("customer_id");
                row.status = rs.getString("status");
                row.role = rs.getString("role");
                row.scheduledFor = rs.getTimestamp("scheduled_for").toInstant();
                Timestamp nextAttempt = rs.getTimestamp("next_attempt_at");
                row.nextAttemptAt = nextAttempt == null ? null : nextAttempt.toInstant();
                row.customerStatus = rs.getString("customer_status");
                Timestamp paused = rs.getTimestamp("paused_until");
                row.pausedUntil = paused == null ? null : paused.toInstant();
                row.name = rs.getString("name");
                row.email = rs.getString("email");
                row.plz = rs.getString("plz");
                row.contact = rs.getString("contact");
                row.pdf = rs.getBytes("pdf");
                row.covered = rs.getBoolean("covered");
                return row;
            }
        }
    }

    private MailFacts facts(Connection c, Row row) throws SQLException {
        Map<String, String> fields = leadFields(row.contact);
        Instant exclusiveUntil = null;
        int others = 0;
        if ("head_start".equals(row.role)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*), min(scheduled_for) FROM lead_distributions WHERE lead_id = ? AND role = 'follower' "
                            + "AND status NOT IN ('skipped', 'failed')")) {
                ps.setLong(1, row.leadId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    others = rs.getInt(1);
                    Timestamp until = rs.getTimestamp(2);
                    exclusiveUntil = until == null ? null : until.toInstant();
                }
            }
        }
        Instant sharedSince = "follower".equals(row.role) ? row.scheduledFor : null;
        return new MailFacts(row.leadId, row.distributionId, row.plz, fields.getOrDefault("ort", ""), fields,
                row.name, row.role, exclusiveUntil, others, sharedSince);
    }

    private static Map<String, String> leadFields(String contactJson) {
        Map<String, Object> contact;
        try {
            contact = JSON.readValue(contactJson, new TypeReference<>() { });
        } catch (IOException e) {
            throw new IllegalStateException("Stored contact is not valid JSON", e);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String key : LEAD_FIELDS) {
            Object value = contact.get(key);
            if (value != null && !value.toString().isBlank()) {
                fields.put(key, value.toString().trim());
            }
        }
        return fields;
    }

    private int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    private int execute(String sql, Object... args) {
        try (Connection c = dataSource.getConnection()) {
            return update(c, sql, args);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The distribution with everything the checks and the mail need. */
    private static final class Row {
        long distributionId;
        long leadId;
        long customerId;
        String status;
        String role;
        Instant scheduledFor;
        Instant nextAttemptAt;
        String customerStatus;
        Instant pausedUntil;
        String name;
        String email;
        String plz;
        String contact;
        byte[] pdf;
        boolean covered;

        Delivery delivery(String action, String reason, Instant rescheduleAt) {
            return new Delivery(action, distributionId, leadId, customerId, role, reason, rescheduleAt, null, null);
        }
    }
}
