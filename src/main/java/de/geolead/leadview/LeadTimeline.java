package de.geolead.leadview;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * A lead's story as read from the tables (never from logs): {@code leads}, {@code lead_distributions},
 * {@code lead_returns} and the lead's {@code audit_log} rows, in time order, oldest first. Events at the same instant
 * keep a fixed order: the order of {@link Type} (the order things happen in), then the row's id.
 *
 * <p>Types ({@code type} in the JSON) and where each comes from:
 * <ul>
 * <li>{@code imported}: {@code leads.created_at}, with the Dialfire contact id</li>
 * <li>{@code parked}: a lead the import could not route ({@code unroutable}, {@code pdf_missing}, {@code invalid}) or
 *     parked for want of consent ({@code no_consent}, DIALFIRE_CONSENT_FIELD); at {@code updated_at}, the last time the
 *     import stored it, with {@code status_reason}; or parked by hand ({@code audit_log} {@code lead.park})</li>
 * <li>{@code unparked}: {@code audit_log} {@code lead.unpark}</li>
 * <li>{@code planned}: a mail the distribution planned (kind {@code planned}): agent, role, scheduled for</li>
 * <li>{@code assigned}: a manual hand-out (kind {@code manual}), actor = who asked</li>
 * <li>{@code resend_requested}: a resend (kind {@code resend}), actor = who asked</li>
 * <li>{@code claimed}: the mail's latest SMTP attempt began ({@code claimed_at})</li>
 * <li>{@code retry_scheduled}: the last attempt failed for a transient reason and the mail waits for
 *     {@code next_attempt_at} (at = when that was recorded, {@code enqueued_at})</li>
 * <li>{@code sent}: {@code sent_at}, with the Message-ID</li>
 * <li>{@code skipped}, {@code failed}: the mail will never go out, with {@code status_reason}; a skip happens at send time
 *     (at = the later of {@code scheduled_for} and {@code enqueued_at}), a failure after the last attempt (at =
 *     {@code claimed_at})</li>
 * <li>{@code unassigned}: no paying agent covered the PLZ ({@code leads.unassigned_since})</li>
 * <li>{@code expired}: unassigned for longer than GEOLEAD_UNASSIGNED_RETRY (at = {@code updated_at})</li>
 * <li>{@code return_filed}, {@code return_approved}, {@code return_rejected}: {@code lead_returns} ({@code filed_at},
 *     {@code decided_at})</li>
 * <li>{@code manual_action}: any other {@code audit_log} row of the lead</li>
 * <li>{@code erased}: its homeowner data was erased ({@code leads.erased_at}): "erased on DATE (retention)" or
 *     "(data-subject request)"</li>
 * </ul>
 * The tables hold each mail's latest state: earlier attempts of a mail that was retried show as its attempt count,
 * and a lead that left an import status (a PDF fetched later) shows no {@code parked} event.
 * {@code audit_log} rows {@code lead.resend} and {@code lead.assign} are told by their mail rows, and {@code return.*}
 * by the return, so none is repeated as {@code manual_action}.
 */
public final class LeadTimeline {

    /** The event types, in the order that breaks ties between events at the same instant. */
    public enum Type {
        IMPORTED, PARKED_AT_IMPORT, PLANNED, ASSIGNED, RESEND_REQUESTED, CLAIMED, RETRY_SCHEDULED, SENT, SKIPPED, FAILED,
        UNASSIGNED, EXPIRED, RETURN_FILED, RETURN_APPROVED, RETURN_REJECTED, PARKED, UNPARKED, MANUAL_ACTION, ERASED;

        /** The name in the JSON. */
        public String json() {
            return this == PARKED_AT_IMPORT ? "parked" : name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The lead row; {@code erasedAt}/{@code erasedReason} ({@code retention}, {@code request}) null unless erased. */
    public record Lead(long id, String dialfireId, String status, String statusReason, Instant createdAt, Instant updatedAt,
                       Instant unassignedSince, Instant erasedAt, String erasedReason) {

        /** A lead that was not erased. */
        public Lead(long id, String dialfireId, String status, String statusReason, Instant createdAt, Instant updatedAt,
                    Instant unassignedSince) {
            this(id, dialfireId, status, statusReason, createdAt, updatedAt, unassignedSince, null, null);
        }
    }

    /** A {@code lead_distributions} row (a mail) with its agent's name. */
    public record Mail(long id, long customerId, String customerName, String kind, String role, String status, String reason,
                       String requestedBy, Instant createdAt, Instant scheduledFor, Instant enqueuedAt, Instant claimedAt,
                       Instant nextAttemptAt, Instant sentAt, String messageId, int attempts) {
    }

    /** A {@code lead_returns} row. */
    public record Return(long id, long customerId, String reason, String channel, String filedBy, Instant filedAt,
                         String status, Instant decidedAt, String decidedBy, Integer creditCents) {
    }

    /** An {@code audit_log} row of the lead ({@code after} as JSON text, may be null). */
    public record Audit(long id, Instant at, String actor, String action, String after) {
    }

    static final Set<String> IMPORT_PARKED = Set.of("unroutable", "pdf_missing", "invalid", "no_consent");
    /** Audit actions whose story the mail and return rows tell already. */
    private static final Set<String> TOLD_ELSEWHERE = Set.of("lead.resend", "lead.assign");

    private record Entry(Instant at, Type type, long rowId, TimelineEvent event) {
    }

    private static final Comparator<Entry> ORDER = Comparator.comparing(Entry::at)
            .thenComparing(Entry::type).thenComparingLong(Entry::rowId);

    private final List<Entry> entries = new ArrayList<>();

    private LeadTimeline() {
    }

    /** The events of a lead, oldest first. */
    public static List<TimelineEvent> of(Lead lead, List<Mail> mails, List<Return> returns, List<Audit> audit) {
        LeadTimeline t = new LeadTimeline();
        t.lead(lead, audit);
        mails.forEach(t::mail);
        returns.forEach(t::returned);
        audit.forEach(t::audit);
        return t.entries.stream().sorted(ORDER).map(Entry::event).toList();
    }

    private void lead(Lead lead, List<Audit> audit) {
        add(lead.createdAt(), Type.IMPORTED, lead.id(), "imported from Dialfire contact " + lead.dialfireId(), null, null, null, null);
        if (IMPORT_PARKED.contains(lead.status())) {
            add(lead.updatedAt(), Type.PARKED_AT_IMPORT, lead.id(), "parked at import (" + lead.status() + ")"
                    + reason(lead.statusReason()), null, null, null, null);
        }
        boolean parkedByAudit = audit.stream().anyMatch(a -> "lead.park".equals(a.action()));
        if ("parked".equals(lead.status()) && !parkedByAudit) {
            add(lead.updatedAt(), Type.PARKED, lead.id(), "parked" + reason(lead.statusReason()), null, null, null, null);
        }
        if (lead.unassignedSince() != null) {
            add(lead.unassignedSince(), Type.UNASSIGNED, lead.id(), "unassigned: "
                    + ("unassigned".equals(lead.status()) && lead.statusReason() != null ? lead.statusReason()
                    : "no paying agent covered the PLZ"), null, null, null, null);
        }
        if ("expired".equals(lead.status())) {
            add(lead.updatedAt(), Type.EXPIRED, lead.id(), "expired" + reason(lead.statusReason()), null, null, null, null);
        }
        if (lead.erasedAt() != null) {
            add(lead.erasedAt(), Type.ERASED, lead.id(), "erased on " + lead.erasedAt().atZone(ZoneOffset.UTC).toLocalDate()
                    + " (" + ("request".equals(lead.erasedReason()) ? "data-subject request" : lead.erasedReason()) + ")",
                    null, null, null, null);
        }
    }

    private void mail(Mail m) {
        String agent = "customer " + m.customerId() + (m.customerName() == null ? "" : " (" + m.customerName() + ")");
        switch (m.kind()) {
            case "manual" -> add(m.createdAt(), Type.ASSIGNED, m.id(), "assigned to " + agent + " by " + m.requestedBy(),
                    m.customerId(), m.id(), null, m.requestedBy());
            case "resend" -> add(m.createdAt(), Type.RESEND_REQUESTED, m.id(), "resend to " + agent + " requested by " + m.requestedBy(),
                    m.customerId(), m.id(), null, m.requestedBy());
            default -> add(m.createdAt(), Type.PLANNED, m.id(), "planned for " + agent + " as " + m.role().replace('_', ' ')
                    + (m.scheduledFor() == null ? "" : ", scheduled for " + m.scheduledFor()), m.customerId(), m.id(), null, null);
        }
        if (m.claimedAt() != null) {
            add(m.claimedAt(), Type.CLAIMED, m.id(), "mail to " + agent + " taken for sending (attempt " + m.attempts() + ")",
                    m.customerId(), m.id(), null, null);
        }
        switch (m.status()) {
            case "sent" -> add(m.sentAt(), Type.SENT, m.id(), "mail to " + agent + " sent, Message-ID " + m.messageId(),
                    m.customerId(), m.id(), null, null);
            case "skipped" -> add(latest(m.scheduledFor(), m.enqueuedAt(), m.createdAt()), Type.SKIPPED, m.id(),
                    "mail to " + agent + " skipped" + reason(m.reason()), m.customerId(), m.id(), null, null);
            case "failed" -> add(latest(m.claimedAt(), m.createdAt()), Type.FAILED, m.id(),
                    "mail to " + agent + " failed" + reason(m.reason()), m.customerId(), m.id(), null, null);
            case "pending" -> {
                if (m.nextAttemptAt() != null) {
                    add(latest(m.enqueuedAt(), m.createdAt()), Type.RETRY_SCHEDULED, m.id(), "mail to " + agent
                            + " tried again at " + m.nextAttemptAt() + reason(m.reason()), m.customerId(), m.id(), null, null);
                }
            }
            default -> {
                // sending: the claim above tells it
            }
        }
    }

    private void returned(Return r) {
        add(r.filedAt(), Type.RETURN_FILED, r.id(), "return " + r.id() + " filed for customer " + r.customerId() + " (" + r.reason()
                + ", via " + r.channel() + ")", r.customerId(), null, r.id(), r.filedBy());
        if (r.decidedAt() != null && ("approved".equals(r.status()) || "rejected".equals(r.status()))) {
            boolean approved = "approved".equals(r.status());
            String credit = approved && r.creditCents() != null && r.creditCents() > 0
                    ? String.format(java.util.Locale.ROOT, ", credit %.2f EUR", r.creditCents() / 100.0) : "";
            add(r.decidedAt(), approved ? Type.RETURN_APPROVED : Type.RETURN_REJECTED, r.id(), "return " + r.id() + " "
                    + r.status() + " by " + r.decidedBy() + credit, r.customerId(), null, r.id(), r.decidedBy());
        }
    }

    private void audit(Audit a) {
        if (TOLD_ELSEWHERE.contains(a.action()) || a.action().startsWith("return.")) {
            return;
        }
        switch (a.action()) {
            case "lead.park" -> {
                String reason = field(a.after(), "statusReason");
                if (reason == null) {
                    String given = field(a.after(), "reason");
                    reason = "parked by " + a.actor() + (given == null ? "" : ": " + given);
                }
                add(a.at(), Type.PARKED, a.id(), reason, null, null, null, a.actor());
            }
            case "lead.unpark" -> add(a.at(), Type.UNPARKED, a.id(), "unparked by " + a.actor(), null, null, null, a.actor());
            default -> add(a.at(), Type.MANUAL_ACTION, a.id(), a.action() + " by " + a.actor(), null, null, null, a.actor());
        }
    }

    private void add(Instant at, Type type, long rowId, String text, Long customerId, Long distributionId, Long returnId, String actor) {
        if (at == null) {
            return; // a row without the time of this step (not written by Geolead): no event rather than a guess
        }
        entries.add(new Entry(at, type, rowId,
                new TimelineEvent(at.toString(), type.json(), text, customerId, distributionId, returnId, actor)));
    }

    private static String reason(String reason) {
        return reason == null || reason.isBlank() ? "" : ": " + reason;
    }

    private static Instant latest(Instant... times) {
        Instant latest = null;
        for (Instant t : times) {
            if (t != null && (latest == null || t.isAfter(latest))) {
                latest = t;
            }
        }
        return latest;
    }

    /** A string field of a JSON object, or null (not JSON, not an object, no such field, not a string). */
    static String field(String json, String name) {
        if (json == null) {
            return null;
        }
        try {
            JsonElement root = JsonParser.parseString(json);
            if (root.isJsonObject()) {
                JsonObject object = root.getAsJsonObject();
                JsonElement value = object.get(name);
                return value != null && value.isJsonPrimitive() ? value.getAsString() : null;
            }
        } catch (RuntimeException e) {
            // not JSON: no field
        }
        return null;
    }
}
