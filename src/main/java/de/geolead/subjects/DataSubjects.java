package de.geolead.subjects;

import de.geolead.api.ApiProblem;
import de.geolead.api.ApiUser;
import de.geolead.api.AuditLog;
import de.geolead.api.Requests;
import de.geolead.db.Database;
import de.geolead.privacy.Anonymiser;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.UnreadableLeadData;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Data-subject requests through the operations API (routes/operations-api.camel.yaml, {@code POST
 * /api/data-subjects/export} and {@code …/erasure}): a homeowner asks what Geolead holds about them, or that it be
 * erased. The person is named by phone number and/or e-mail address ({@link Homeowner}, normalised); every lead whose
 * stored contact holds either is found by {@link HomeownerSearch} (erased leads are not searched).
 *
 * <p>The export answers all stored data of those leads (contact, statuses, dates, PLZ, consent, the lead sheet as
 * base64 with its SHA-256 within {@link #PDF_BUDGET} bytes per answer, the mails with the agents who got them, the
 * returns, the delivery receipts) and the agents over all leads, and writes one {@code audit_log} row per lead found
 * ({@code data_subject_export}). The erasure anonymises each lead with {@link Anonymiser#erase} (reason
 * {@code request}) and writes its {@code data_subject_erasure} audit row, all leads in one transaction, and answers the
 * erased ids with the agents who received them, so the seller can pass the erasure on.
 *
 * <p>Neither the phone number nor the e-mail address reaches an audit row, a log line, an exception message or a
 * metric: answers, audit rows and {@code describe()} say only what was searched by. Leads whose stored contact cannot be
 * read are listed as {@code unreadable} (the search was incomplete for them).
 */
public class DataSubjects {

    public static final String EXPORT = "data_subject_export";
    public static final String ERASURE = "data_subject_erasure";
    /** The most lead sheet bytes one export answer carries inline; later sheets are named by their SHA-256 only. */
    static final long PDF_BUDGET = 32L * 1024 * 1024;
    /** The most unreadable lead ids an answer names (all are counted). */
    static final int MAX_UNREADABLE_IDS = 1000;
    static final int MAX_REFERENCE = 64;
    private static final Pattern REFERENCE = Pattern.compile("[\\p{L}\\p{N} ._:/#-]{1," + MAX_REFERENCE + "}");

    /** The leads whose contact could not be searched (lost key, altered row): the answer is incomplete for them. */
    public record Unreadable(int count, List<Long> leadIds, String note) {
        static Unreadable of(List<Long> ids) {
            return new Unreadable(ids.size(), List.copyOf(ids.subList(0, Math.min(ids.size(), MAX_UNREADABLE_IDS))),
                    ids.isEmpty() ? null : ids.size() + " leads could not be read and were not searched (see GEOLEAD_DATA_KEYS); "
                            + "they may belong to this person");
        }
    }

    /** An agent who received one or more of the leads, with each mail (status {@code sent}, or {@code sending} = in flight). */
    public record Agent(long id, String name, String email, List<Received> leads) {
    }

    public record Received(long leadId, long distributionId, String role, String kind, String status, String sentAt, String messageId) {
    }

    public record LeadSheet(String sha256, int sizeBytes, String fetchedAt, String contentBase64, String note) {
    }

    public record Mail(long id, long customerId, String customerName, String customerEmail, String role, String kind,
                       String status, String statusReason, String scheduledFor, String sentAt, String messageId, String requestedBy) {
    }

    public record Return(long id, long customerId, String reason, String note, String channel, String filedBy, String filedAt,
                         String status, String decidedAt, String decidedBy, String decisionNote, Integer creditCents) {
    }

    public record Receipt(long seq, long distributionId, String hash, String createdAt) {
    }

    public record Lead(long id, String dialfireId, String status, String statusReason, String plz, String createdAt,
                       String updatedAt, String processedAt, String unassignedSince, String pdfUrl, String pdfFailure,
                       String consentValue, String consentAt, Map<String, Object> contact, LeadSheet leadSheet,
                       List<Mail> mails, List<Return> returns, List<Receipt> receipts) {
    }

    /** The answer of an export. */
    public record Export(List<String> searchedBy, String exportedAt, String message, int leadsFound, List<Lead> leads,
                         List<Agent> agents, Unreadable unreadable, int leadsSearched, long searchMillis) {
        /** The log line (ids and counts, never the person). */
        public String describe() {
            return "API " + EXPORT + " (searched by " + String.join(", ", searchedBy) + "): " + leadsFound + " leads " + leads.stream().map(Lead::id).toList()
                    + ", agents " + agents.stream().map(Agent::id).toList() + ", " + unreadable.count() + " unreadable"
                    + (unreadable.count() == 0 ? "" : " " + firstIds(unreadable.leadIds())) + ", " + leadsSearched
                    + " leads searched in " + searchMillis + " ms";
        }
    }

    /** The answer of an erasure. */
    public record Erasure(List<String> searchedBy, String reference, String message, List<Long> erasedLeadIds,
                          List<Agent> agents, Unreadable unreadable, int leadsSearched, long searchMillis) {
        /** The log line (ids and counts, never the person). */
        public String describe() {
            return "API " + ERASURE + " (searched by " + String.join(", ", searchedBy) + "): " + erasedLeadIds.size() + " leads erased " + erasedLeadIds
                    + ", agents " + agents.stream().map(Agent::id).toList() + " to tell, " + unreadable.count() + " unreadable"
                    + (unreadable.count() == 0 ? "" : " " + firstIds(unreadable.leadIds())) + ", " + leadsSearched
                    + " leads searched in " + searchMillis + " ms";
        }
    }

    private final Database db;
    private final LeadContents contents;
    private final HomeownerSearch search;
    private final Anonymiser anonymiser;
    private final AuditLog auditLog;
    private final Clock clock;

    public DataSubjects(Database db, LeadContents contents, Anonymiser anonymiser, AuditLog auditLog, Clock clock) {
        this.db = db;
        this.contents = contents;
        this.search = new HomeownerSearch(contents);
        this.anonymiser = anonymiser;
        this.auditLog = auditLog;
        this.clock = clock;
    }

    /** {@code POST /api/data-subjects/export}: everything stored of the person's leads; one audit row per lead found. */
    public Export export(Object request, ApiUser actor) {
        if (!(request instanceof Requests.DataSubject subject)) {
            throw ApiProblem.badRequest("send the JSON body {\"phone\": \"…\", \"email\": \"…\"} (at least one of them)");
        }
        Homeowner homeowner = homeowner(subject.phone(), subject.email());
        HomeownerSearch.Found found = search.find(homeowner);
        List<Long> unreadable = new ArrayList<>(found.unreadableLeadIds());
        List<Lead> leads = new ArrayList<>();
        long[] budget = {PDF_BUDGET};
        for (long leadId : found.leadIds()) {
            lead(leadId, budget, unreadable).ifPresent(leads::add);
        }
        List<Long> ids = leads.stream().map(Lead::id).toList();
        List<Agent> agents = agents(ids);
        db.inTransaction("Recording the export of " + ids.size() + " leads", () -> {
            for (long id : ids) {
                auditLog.record(actor, EXPORT, AuditLog.LEAD, id, null,
                        Map.of("searchedBy", homeowner.searchedBy(), "leadsFound", ids.size()));
            }
            return ids.size();
        });
        String message = ids.isEmpty() ? "no lead of this person found (erased leads are not searched)"
                : ids.size() + " leads found; " + agents.size() + " agents received them";
        return new Export(homeowner.searchedBy(), clock.instant().toString(), message, ids.size(), List.copyOf(leads), agents,
                Unreadable.of(unreadable), found.searched(), found.millis());
    }

    /**
     * {@code POST /api/data-subjects/erasure}: every lead of the person erased with its audit row (actor, reference), all
     * in one transaction; answers the erased ids and the agents who received them. A repeated request finds nothing.
     */
    public Erasure erase(Object request, ApiUser actor) {
        if (!(request instanceof Requests.DataSubjectErasure subject)) {
            throw ApiProblem.badRequest("send the JSON body {\"phone\": \"…\", \"email\": \"…\", \"reference\": \"…\"} "
                    + "(phone or email, reference optional)");
        }
        Homeowner homeowner = homeowner(subject.phone(), subject.email());
        String reference = reference(subject.reference(), homeowner);
        HomeownerSearch.Found found = search.find(homeowner);
        List<Long> erased = db.inTransaction("Erasing " + found.leadIds().size() + " leads of a data-subject request", () -> {
            List<Long> now = new ArrayList<>();
            for (long leadId : found.leadIds()) {
                Optional<String> status = db.sql().sql("SELECT status FROM leads WHERE id = ?").param(leadId)
                        .query(String.class).optional();
                if (status.isPresent() && anonymiser.erase(leadId, Anonymiser.REQUEST)) {
                    Map<String, Object> after = new LinkedHashMap<>();
                    after.put("status", status.get());
                    after.put("erasedReason", Anonymiser.REQUEST);
                    after.put("searchedBy", homeowner.searchedBy());
                    after.put("reference", reference);
                    auditLog.record(actor, ERASURE, AuditLog.LEAD, leadId, Map.of("status", status.get()), after);
                    now.add(leadId);
                }
            }
            return List.copyOf(now);
        });
        List<Agent> agents = agents(erased);
        String message = erased.isEmpty() ? "no lead of this person found (erased leads are not searched): nothing erased"
                : erased.size() + " leads erased; tell the " + agents.size() + " agents listed to delete them too";
        return new Erasure(homeowner.searchedBy(), reference, message, erased, agents, Unreadable.of(found.unreadableLeadIds()),
                found.searched(), found.millis());
    }

    private static Homeowner homeowner(String phone, String email) {
        try {
            return Homeowner.of(phone, email);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
    }

    /** The request's reference: optional, a ticket number (letters, digits, space . _ : / # -), never the person's data. */
    static String reference(String raw, Homeowner homeowner) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String reference = raw.strip();
        if (!REFERENCE.matcher(reference).matches()) {
            throw ApiProblem.badRequest("the reference must be 1-" + MAX_REFERENCE
                    + " letters, digits, spaces or . _ : / # - (a ticket number, never the person's data)");
        }
        if (homeowner.phone() != null) {
            String digits = reference.replaceAll("\\D", "");
            String phone = homeowner.phone();
            String tail = phone.substring(Math.max(1, phone.length() - 7));
            if (digits.contains(tail)) {
                throw ApiProblem.badRequest("the reference must not hold the phone number: it is kept in the audit log");
            }
        }
        return reference;
    }

    private Optional<Lead> lead(long leadId, long[] budget, List<Long> unreadable) {
        record Row(String dialfireId, String status, String statusReason, String plz, String createdAt, String updatedAt,
                   String processedAt, String unassignedSince, String pdfUrl, String pdfFailure, String consentValue,
                   String consentAt) {
        }
        Optional<Row> found = db.sql().sql("""
                SELECT dialfire_id, status, status_reason, plz, created_at, updated_at, processed_at, unassigned_since,
                       pdf_url, pdf_failure, consent_value, consent_at
                  FROM leads WHERE id = ? AND erased_at IS NULL""").param(leadId)
                .query((rs, n) -> new Row(rs.getString("dialfire_id"), rs.getString("status"), rs.getString("status_reason"),
                        rs.getString("plz"), time(rs, "created_at"), time(rs, "updated_at"), time(rs, "processed_at"),
                        time(rs, "unassigned_since"), rs.getString("pdf_url"), rs.getString("pdf_failure"),
                        rs.getString("consent_value"), time(rs, "consent_at"))).optional();
        if (found.isEmpty()) {
            return Optional.empty(); // erased since the search
        }
        Map<String, Object> contact;
        LeadSheet sheet;
        try {
            contact = contents.contact(leadId).orElse(Map.of());
            sheet = leadSheet(leadId, budget);
        } catch (UnreadableLeadData e) {
            unreadable.add(leadId);
            return Optional.empty();
        }
        Row row = found.get();
        List<Mail> mails = db.sql().sql("""
                SELECT d.id, d.customer_id, c.name, c.email, d.role, d.kind, d.status, d.status_reason, d.scheduled_for,
                       d.sent_at, d.message_id, d.requested_by
                  FROM lead_distributions d JOIN customers c ON c.id = d.customer_id
                 WHERE d.lead_id = ? ORDER BY d.created_at, d.id""").param(leadId)
                .query((rs, n) -> new Mail(rs.getLong("id"), rs.getLong("customer_id"), rs.getString("name"), rs.getString("email"),
                        rs.getString("role"), rs.getString("kind"), rs.getString("status"), rs.getString("status_reason"),
                        time(rs, "scheduled_for"), time(rs, "sent_at"), rs.getString("message_id"), rs.getString("requested_by")))
                .list();
        List<Return> returns = db.sql().sql("""
                SELECT id, customer_id, reason, note, channel, filed_by, filed_at, status, decided_at, decided_by,
                       decision_note, credit_cents
                  FROM lead_returns WHERE lead_id = ? ORDER BY filed_at, id""").param(leadId)
                .query((rs, n) -> new Return(rs.getLong("id"), rs.getLong("customer_id"), rs.getString("reason"),
                        rs.getString("note"), rs.getString("channel"), rs.getString("filed_by"), time(rs, "filed_at"),
                        rs.getString("status"), time(rs, "decided_at"), rs.getString("decided_by"), rs.getString("decision_note"),
                        (Integer) rs.getObject("credit_cents"))).list();
        List<Receipt> receipts = db.sql().sql("""
                SELECT seq, distribution_id, hash, created_at FROM delivery_receipts WHERE lead_id = ? ORDER BY seq""")
                .param(leadId)
                .query((rs, n) -> new Receipt(rs.getLong("seq"), rs.getLong("distribution_id"), rs.getString("hash"),
                        time(rs, "created_at"))).list();
        return Optional.of(new Lead(leadId, row.dialfireId(), row.status(), row.statusReason(), row.plz(), row.createdAt(),
                row.updatedAt(), row.processedAt(), row.unassignedSince(), row.pdfUrl(), row.pdfFailure(), row.consentValue(),
                row.consentAt(), contact, sheet, mails, returns, receipts));
    }

    /** The lead sheet with its content while the answer's budget lasts, else named by its SHA-256 only; null = none stored. */
    private LeadSheet leadSheet(long leadId, long[] budget) {
        record Stored(String sha256, int size, String fetchedAt) {
        }
        Optional<Stored> stored = db.sql().sql("SELECT sha256, size_bytes, fetched_at FROM lead_pdfs WHERE lead_id = ?")
                .param(leadId).query((rs, n) -> new Stored(rs.getString(1).strip(), rs.getInt(2), time(rs, "fetched_at"))).optional();
        if (stored.isEmpty()) {
            return null;
        }
        Stored sheet = stored.get();
        if (sheet.size() > budget[0]) {
            return new LeadSheet(sheet.sha256(), sheet.size(), sheet.fetchedAt(), null, "not included: one answer carries at most "
                    + PDF_BUDGET / (1024 * 1024) + " MiB of lead sheets; the SHA-256 names the stored file");
        }
        Optional<byte[]> content = contents.pdf(leadId);
        if (content.isEmpty()) {
            return null;
        }
        budget[0] -= content.get().length;
        return new LeadSheet(sheet.sha256(), sheet.size(), sheet.fetchedAt(), Base64.getEncoder().encodeToString(content.get()), null);
    }

    /** The agents who received any of {@code leadIds} (mails {@code sent} or {@code sending}), by id, each mail by sending time. */
    private List<Agent> agents(List<Long> leadIds) {
        if (leadIds.isEmpty()) {
            return List.of();
        }
        record Row(long customerId, String name, String email, Received received) {
        }
        List<Row> rows = db.sql().sql("""
                SELECT d.customer_id, c.name, c.email, d.lead_id, d.id, d.role, d.kind, d.status, d.sent_at, d.message_id
                  FROM lead_distributions d JOIN customers c ON c.id = d.customer_id
                 WHERE d.lead_id IN (:leads) AND d.status IN ('sent', 'sending')
                 ORDER BY d.customer_id, d.sent_at NULLS LAST, d.id""").param("leads", leadIds)
                .query((rs, n) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), new Received(rs.getLong(4),
                        rs.getLong(5), rs.getString(6), rs.getString(7), rs.getString(8), time(rs, "sent_at"), rs.getString(10))))
                .list();
        Map<Long, Agent> agents = new LinkedHashMap<>();
        for (Row row : rows) {
            agents.computeIfAbsent(row.customerId(), id -> new Agent(id, row.name(), row.email(), new ArrayList<>()))
                    .leads().add(row.received());
        }
        return agents.values().stream().map(a -> new Agent(a.id(), a.name(), a.email(), List.copyOf(a.leads()))).toList();
    }

    private static String time(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant().toString();
    }

    private static String firstIds(List<Long> ids) {
        return ids.size() <= 20 ? ids.toString() : ids.subList(0, 20) + " …";
    }
}
