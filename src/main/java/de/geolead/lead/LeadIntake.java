package de.geolead.lead;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.dialfire.DialfireClient;
import de.geolead.dialfire.DialfireContact;
import de.geolead.dialfire.DialfireUnavailableException;
import de.geolead.dialfire.LeadSheetDownload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one ready Dialfire contact into a stored lead: fetches its lead sheet, finds its PLZ
 * (the configured field first, else the PDF's text) and stores both in one transaction.
 * A lead without PDF or PLZ is stored all the same, parked with its reason; so is a contact that cannot
 * be stored as it is ({@code invalid}). A failure of this one contact never stops the import; only a
 * database that cannot even take the parked lead does (that exception escapes).
 */
public class LeadIntake {

    private static final Logger LOG = LoggerFactory.getLogger(LeadIntake.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Leads whose PDF is fetched again per import run, at most (the oldest tries first). */
    static final int PDF_RETRIES_PER_RUN = 50;
    static final String UNEXPECTED = "could not be stored as it is (unexpected error)";

    private final DialfireClient dialfire;
    private final LeadRepository leads;
    private final String plzField;
    private final String pdfField;
    private final int pdfMaxBytes;
    private final Duration pdfRetryFor;
    private final Clock clock;

    public LeadIntake(DialfireClient dialfire, LeadRepository leads, String plzField, String pdfField, int pdfMaxBytes,
                      Duration pdfRetryFor, Clock clock) {
        this.dialfire = dialfire;
        this.leads = leads;
        this.plzField = plzField;
        this.pdfField = pdfField;
        this.pdfMaxBytes = pdfMaxBytes;
        this.pdfRetryFor = pdfRetryFor;
        this.clock = clock;
    }

    public LeadOutcome store(DialfireContact contact) {
        if (contact.id().isEmpty()) {
            // not parkable: every such contact would compete for one empty dialfire_id
            throw new IllegalArgumentException("Dialfire contact without $id cannot become a lead");
        }
        try {
            return storeChecked(contact);
        } catch (RuntimeException e) {
            if (isInfrastructure(e) || e instanceof DialfireUnavailableException) {
                throw e;
            }
            // the exception's message may quote the contact's values: only its classes go to the log
            LOG.warn("Dialfire contact {} could not be stored as it is ({}); parking it as invalid", contact.id(), causes(e));
            return park(contact, sanitized(contact), LeadStatus.INVALID, UNEXPECTED);
        }
    }

    /**
     * The stored contacts of leads parked {@code pdf_missing} for a transient reason within
     * {@code GEOLEAD_PDF_RETRY_FOR}, not tried since {@code runStart} (not twice in one run); storing them
     * again ({@link #store}) fetches their PDF again.
     */
    public List<DialfireContact> dueForPdfRetry(Instant runStart) {
        List<DialfireContact> contacts = new ArrayList<>();
        for (String json : leads.dueForPdfRetry(runStart, PDF_RETRIES_PER_RUN)) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = JSON.readValue(json, Map.class);
                contacts.add(new DialfireContact(fields));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("A stored contact is not JSON", e);
            }
        }
        return contacts;
    }

    private LeadOutcome storeChecked(DialfireContact contact) {
        Optional<String> nulField = fieldWithNul(contact.fields());
        if (nulField.isPresent()) {
            // PostgreSQL refuses NUL in text and jsonb: keep a copy without it, never the value in the reason
            return park(contact, sanitized(contact), LeadStatus.INVALID, "field '" + nulField.get() + "' contains a NUL character");
        }
        if (contact.version().isEmpty()) {
            return park(contact, contact, LeadStatus.INVALID, "contact without $version");
        }
        Optional<LeadRepository.StoredLead> stored = leads.findByDialfireId(contact.id());
        Instant now = clock.instant();
        boolean pdfRetry = stored.isPresent() && stored.get().pdfRetryDue(now);
        if (stored.isPresent() && !stored.get().refreshableBy(contact.version()) && !pdfRetry) {
            return unchanged(contact, stored.get());
        }

        LeadSheetDownload sheet = dialfire.leadSheet(contact.field(pdfField), pdfMaxBytes);
        String fieldValue = contact.field(plzField);
        Optional<String> plz = PlzRules.normalize(fieldValue);
        String pdfTextProblem = null;
        if (plz.isEmpty() && sheet.isPresent()) {
            try {
                plz = PlzRules.findInText(LeadSheetPdf.text(sheet.bytes()));
            } catch (IOException e) {
                pdfTextProblem = "PDF text unreadable: " + e.getMessage();
            }
        }

        String status;
        String reason = null;
        String pdfFailure = null;
        Instant retryUntil = null;
        if (!sheet.isPresent()) {
            status = LeadStatus.PDF_MISSING;
            reason = sheet.missingReason() + " (field '" + pdfField + "')";
            pdfFailure = sheet.temporary() ? LeadRepository.PDF_TRANSIENT : LeadRepository.PDF_PERMANENT;
            retryUntil = now.plus(pdfRetryFor);
            LOG.debug("Dialfire contact {}: lead sheet missing: {} ({})", contact.id(), sheet.missingReason(), sheet.detail());
        } else if (plz.isEmpty()) {
            status = LeadStatus.UNROUTABLE;
            reason = "no valid PLZ in field '" + plzField + "' (" + (fieldValue.isEmpty() ? "empty" : "not a PLZ")
                    + ") nor in the PDF text" + (pdfTextProblem == null ? "" : "; " + pdfTextProblem);
        } else {
            status = LeadStatus.PENDING;
        }

        LeadRepository.LeadRecord record = new LeadRepository.LeadRecord(contact.id(), contact.version(), toJson(contact.fields()),
                plz.orElse(null), sheet.sourceUrl(), status, reason, sheet.bytes(), pdfFailure, retryUntil);
        Optional<LeadRepository.Saved> saved = leads.save(record);
        if (saved.isEmpty()) {
            // someone else (a parallel run, the distribution) changed the lead meanwhile; theirs stands
            return unchanged(contact, leads.findByDialfireId(contact.id()).orElseThrow());
        }
        boolean stillParked = pdfRetry && !stored.get().refreshableBy(contact.version()) && LeadStatus.PDF_MISSING.equals(status);
        String change = saved.get().created() ? LeadOutcome.CREATED : stillParked ? LeadOutcome.UNCHANGED : LeadOutcome.REFRESHED;
        return new LeadOutcome(saved.get().id(), contact.id(), change, status, plz.orElse(null), reason);
    }

    /** Stores the contact (as {@code stored}) parked with {@code status} and a reason without its values. */
    private LeadOutcome park(DialfireContact contact, DialfireContact stored, String status, String reason) {
        LeadRepository.LeadRecord record = new LeadRepository.LeadRecord(stored.id(), stored.version(), toJson(stored.fields()),
                null, null, status, reason, null, null, null);
        Optional<LeadRepository.Saved> saved = leads.save(record);
        if (saved.isEmpty()) {
            return unchanged(contact, leads.findByDialfireId(stored.id()).orElseThrow());
        }
        return new LeadOutcome(saved.get().id(), stored.id(), saved.get().created() ? LeadOutcome.CREATED : LeadOutcome.REFRESHED,
                status, null, reason);
    }

    private static LeadOutcome unchanged(DialfireContact contact, LeadRepository.StoredLead stored) {
        return new LeadOutcome(stored.id(), contact.id(), LeadOutcome.UNCHANGED, stored.status(), null, null);
    }

    /**
     * A database that is down, out of connections or otherwise failing is infrastructure: the run must stop.
     * A data error (SQLSTATE class 22, e.g. a value too long; 23, a constraint; 54, a limit) belongs to the contact.
     */
    static boolean isInfrastructure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState() == null ? "" : sql.getSQLState();
                return !(state.startsWith("22") || state.startsWith("23") || state.startsWith("54"));
            }
        }
        return false;
    }

    private static String causes(Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(chain.length() == 0 ? "" : " < ").append(t.getClass().getSimpleName());
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                chain.append(" SQLSTATE ").append(sql.getSQLState());
            }
        }
        return chain.toString();
    }

    /** The name (NULs shown as U+FFFD, at most 64 characters) of the first field whose name or text holds a NUL. */
    static Optional<String> fieldWithNul(Map<String, Object> fields) {
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            if (field.getKey().indexOf('\0') >= 0 || holdsNul(field.getValue())) {
                String name = withoutNul(field.getKey());
                return Optional.of(name.length() > 64 ? name.substring(0, 64) + "…" : name);
            }
        }
        return Optional.empty();
    }

    private static boolean holdsNul(Object value) {
        if (value instanceof String text) {
            return text.indexOf('\0') >= 0;
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().anyMatch(e -> holdsNul(String.valueOf(e.getKey())) || holdsNul(e.getValue()));
        }
        if (value instanceof List<?> list) {
            return list.stream().anyMatch(LeadIntake::holdsNul);
        }
        return false;
    }

    /** The contact with every NUL (in names and texts, nested too) replaced by U+FFFD. */
    static DialfireContact sanitized(DialfireContact contact) {
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) sanitize(contact.fields());
        return new DialfireContact(fields);
    }

    private static Object sanitize(Object value) {
        if (value instanceof String text) {
            return withoutNul(text);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(withoutNul(String.valueOf(k)), sanitize(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(LeadIntake::sanitize).toList();
        }
        return value;
    }

    private static String withoutNul(String text) {
        return text.replace('\0', '\uFFFD');
    }

    private static String toJson(Map<String, Object> fields) {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("A Dialfire contact cannot be written as JSON", e);
        }
    }
}
