package de.geolead.lead;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.UnreadableLeadData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.TransactionException;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one ready Dialfire contact (its flat fields, {@code $id}, {@code $version}, campaign fields) into a stored
 * lead, in two steps around the lead sheet download the route makes: {@link #plan} decides whether the contact
 * needs its PDF ({@link #FETCH_PDF}) or is decided already ({@link #DONE}: unchanged, or parked invalid), and
 * {@link #store} finds its PLZ (the configured field first, else the PDF's text) and stores both in one transaction.
 * A lead without PDF or PLZ is stored all the same, parked with its reason; so is a contact that cannot
 * be stored as it is ({@code invalid}). A failure of this one contact never stops the import; only a
 * database that cannot even take the parked lead does (that exception escapes).
 *
 * <p>Consent (DIALFIRE_CONSENT_FIELD, "" = not checked): a contact without a {@link #isConsent truthy} value in that
 * field is parked {@code no_consent} at once, without its lead sheet (it is never mailed in this {@code $version}, so
 * the homeowner's PDF is not fetched nor kept; a newer {@code $version} with consent is fetched in full). The field's
 * value and the Dialfire transaction time it was read at are kept with every lead ({@code consent_value},
 * {@code consent_at}). An erased lead ({@code leads.erased_at}) is never imported again: whatever Dialfire sends for
 * its contact, it stays unchanged.
 */
public class LeadIntake {

    private static final Logger LOG = LoggerFactory.getLogger(LeadIntake.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Leads whose PDF is fetched again per import run, at most (the oldest tries first). */
    static final int PDF_RETRIES_PER_RUN = 50;
    static final String UNEXPECTED = "could not be stored as it is (unexpected error)";

    /** {@link Plan#next()}: the route fetches the lead sheet named by {@link Plan#pdfReference()}, then calls {@link #store}. */
    public static final String FETCH_PDF = "fetch-pdf";
    /** {@link Plan#next()}: nothing to fetch; {@link Plan#outcome()} is what became of the contact. */
    public static final String DONE = "done";

    /**
     * What {@link #plan} decided for one contact. {@code next} is {@link #FETCH_PDF} or {@link #DONE};
     * {@code outcome} is set only for {@link #DONE}.
     */
    public record Plan(Map<String, Object> fields, String next, String pdfReference, LeadOutcome outcome,
                       Optional<LeadRepository.StoredLead> stored, boolean pdfRetry, String consentValue, Instant consentAt) {

        /** A plan without consent facts (DIALFIRE_CONSENT_FIELD not set). */
        public Plan(Map<String, Object> fields, String next, String pdfReference, LeadOutcome outcome,
                    Optional<LeadRepository.StoredLead> stored, boolean pdfRetry) {
            this(fields, next, pdfReference, outcome, stored, pdfRetry, null, null);
        }

        public String dialfireId() {
            return text(fields, "$id");
        }
    }

    /**
     * The values of DIALFIRE_CONSENT_FIELD that mean consent, compared trimmed and case-insensitively; anything else
     * (empty, absent, "nein", "0", "false", a list) is no consent.
     */
    public static final Set<String> CONSENT_VALUES = Set.of("true", "yes", "y", "ja", "j", "1", "x", "on", "einverstanden");

    private final LeadRepository leads;
    private final String plzField;
    private final String pdfField;
    private final Duration pdfRetryFor;
    private final Clock clock;
    private final LeadContents contents;

    private final String consentField;

    /** Reads stored contacts plain only (no GEOLEAD_DATA_KEYS); consent not checked. */
    public LeadIntake(LeadRepository leads, String plzField, String pdfField, Duration pdfRetryFor, Clock clock) {
        this(leads, plzField, pdfField, "", pdfRetryFor, clock, new LeadContents(null));
    }

    /**
     * @param consentField DIALFIRE_CONSENT_FIELD: the contact field that records consent; "" = not checked
     * @param contents     how the PDF retry reads the stored contacts (sealed or plain)
     */
    public LeadIntake(LeadRepository leads, String plzField, String pdfField, String consentField, Duration pdfRetryFor,
                      Clock clock, LeadContents contents) {
        this.contents = contents;
        this.leads = leads;
        this.consentField = consentField == null ? "" : consentField.trim();
        this.plzField = plzField;
        this.pdfField = pdfField;
        this.pdfRetryFor = pdfRetryFor;
        this.clock = clock;
    }

    /** {@link #plan(Map, Instant)} without a transaction time (a PDF retry: the stored consent time stays). */
    public Plan plan(Map<String, Object> fields) {
        return plan(fields, null);
    }

    /**
     * The first step for a ready contact: park it at once, leave it unchanged, or fetch its lead sheet.
     * {@code transactionAt}: when the Dialfire transaction that brought this contact was fired (the consent time), or null.
     */
    public Plan plan(Map<String, Object> fields, Instant transactionAt) {
        String id = text(fields, "$id");
        if (id.isEmpty()) {
            // not parkable: every such contact would compete for one empty dialfire_id
            throw new IllegalArgumentException("Dialfire contact without $id cannot become a lead");
        }
        try {
            Optional<String> nulField = fieldWithNul(fields);
            if (nulField.isPresent()) {
                // PostgreSQL refuses NUL in text and jsonb: keep a copy without it, never the value in the reason
                return done(fields, park(sanitized(fields), LeadStatus.INVALID, "field '" + nulField.get() + "' contains a NUL character"));
            }
            if (text(fields, "$version").isEmpty()) {
                return done(fields, park(fields, LeadStatus.INVALID, "contact without $version"));
            }
            Optional<LeadRepository.StoredLead> stored = leads.findByDialfireId(id);
            if (stored.isPresent() && stored.get().erased()) {
                LOG.debug("Dialfire contact {}: lead {} is erased, not imported again", id, stored.get().id());
                return done(fields, unchanged(id, stored.get()));
            }
            boolean pdfRetry = stored.isPresent() && stored.get().pdfRetryDue(clock.instant());
            if (stored.isPresent() && !stored.get().refreshableBy(text(fields, "$version")) && !pdfRetry) {
                return done(fields, unchanged(id, stored.get()));
            }
            if (consentField.isEmpty()) {
                return new Plan(fields, FETCH_PDF, text(fields, pdfField), null, stored, pdfRetry);
            }
            String consent = text(fields, consentField);
            if (!isConsent(consent)) {
                // never mailed in this $version: its lead sheet is not fetched (nor kept), only the field's PLZ
                String reason = "no consent: field '" + consentField + "' " + (consent.isEmpty() ? "is empty" : "holds no consent value");
                return done(fields, park(fields, LeadStatus.NO_CONSENT, reason, PlzRules.normalize(text(fields, plzField)).orElse(null),
                        consent, transactionAt));
            }
            return new Plan(fields, FETCH_PDF, text(fields, pdfField), null, stored, pdfRetry, consent, transactionAt);
        } catch (RuntimeException e) {
            return done(fields, parkUnexpected(fields, e));
        }
    }

    /** Whether {@code value} (a consent field's text) is one of {@link #CONSENT_VALUES}. */
    public static boolean isConsent(String value) {
        return value != null && CONSENT_VALUES.contains(value.trim().toLowerCase(Locale.ROOT));
    }

    private static Plan done(Map<String, Object> fields, LeadOutcome outcome) {
        return new Plan(fields, DONE, null, outcome, Optional.empty(), false);
    }

    /** The second step: the lead with its lead sheet (or the reason there is none) and its PLZ, stored. */
    public LeadOutcome store(Plan plan, LeadSheetDownload sheet) {
        if (DONE.equals(plan.next())) {
            return plan.outcome();
        }
        try {
            return storeChecked(plan, sheet);
        } catch (RuntimeException e) {
            return parkUnexpected(plan.fields(), e);
        }
    }

    private LeadOutcome parkUnexpected(Map<String, Object> fields, RuntimeException e) {
        if (isInfrastructure(e)) {
            throw e;
        }
        // the exception's message may quote the contact's values: only its classes go to the log
        LOG.warn("Dialfire contact {} could not be stored as it is ({}); parking it as invalid", text(fields, "$id"), causes(e));
        return park(sanitized(fields), LeadStatus.INVALID, UNEXPECTED);
    }

    /**
     * The stored contacts (flat fields) of leads parked {@code pdf_missing} for a transient reason within
     * {@code GEOLEAD_PDF_RETRY_FOR}, not tried since {@code runStart} (not twice in one run); storing them
     * again ({@link #plan}, {@link #store}) fetches their PDF again. A contact that cannot be read (sealed with a key
     * GEOLEAD_DATA_KEYS does not hold, altered) is left out: leads under a key not configured are not even selected,
     * one that does not open is named in a WARN line.
     */
    public List<Map<String, Object>> dueForPdfRetry(Instant runStart) {
        List<Map<String, Object>> contacts = new ArrayList<>();
        for (LeadRepository.StoredContact stored : leads.dueForPdfRetry(runStart, PDF_RETRIES_PER_RUN, contents.readableKeys())) {
            try {
                contacts.add(contents.contact(stored.leadId(), stored.contactJson(), stored.sealed(), stored.keyId()));
            } catch (UnreadableLeadData e) {
                // this lead alone: the others are retried
                LOG.warn("Lead {} parked pdf_missing: its PDF is not fetched again, its contact cannot be read: {}",
                        stored.leadId(), e.getMessage());
            }
        }
        return contacts;
    }

    private LeadOutcome storeChecked(Plan plan, LeadSheetDownload sheet) {
        Map<String, Object> fields = plan.fields();
        String id = text(fields, "$id");
        String version = text(fields, "$version");
        Instant now = clock.instant();
        String fieldValue = text(fields, plzField);
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
            LOG.debug("Dialfire contact {}: lead sheet missing: {} ({})", id, sheet.missingReason(), sheet.detail());
        } else if (plz.isEmpty()) {
            status = LeadStatus.UNROUTABLE;
            reason = "no valid PLZ in field '" + plzField + "' (" + (fieldValue.isEmpty() ? "empty" : "not a PLZ")
                    + ") nor in the PDF text" + (pdfTextProblem == null ? "" : "; " + pdfTextProblem);
        } else {
            status = LeadStatus.PENDING;
        }

        LeadRepository.LeadRecord record = new LeadRepository.LeadRecord(id, version, toJson(fields),
                plz.orElse(null), sheet.sourceUrl(), status, reason, sheet.bytes(), pdfFailure, retryUntil,
                plan.consentValue(), plan.consentAt());
        Optional<LeadRepository.Saved> saved = leads.save(record);
        if (saved.isEmpty()) {
            // someone else (a parallel run, the distribution) changed the lead meanwhile; theirs stands
            return unchanged(id, leads.findByDialfireId(id).orElseThrow());
        }
        boolean stillParked = plan.pdfRetry() && !plan.stored().get().refreshableBy(version) && LeadStatus.PDF_MISSING.equals(status);
        String change = saved.get().created() ? LeadOutcome.CREATED : stillParked ? LeadOutcome.UNCHANGED : LeadOutcome.REFRESHED;
        return new LeadOutcome(saved.get().id(), id, change, status, plz.orElse(null), reason);
    }

    /** Stores the contact (its {@code fields}, sanitised if need be) parked with {@code status} and a reason without its values. */
    private LeadOutcome park(Map<String, Object> fields, String status, String reason) {
        return park(fields, status, reason, null, null, null);
    }

    /** As {@link #park(Map, String, String)}, with the PLZ of the contact's field and the consent facts. */
    private LeadOutcome park(Map<String, Object> fields, String status, String reason, String plz, String consentValue,
                             Instant consentAt) {
        String id = text(fields, "$id");
        LeadRepository.LeadRecord record = new LeadRepository.LeadRecord(id, text(fields, "$version"), toJson(fields),
                plz, null, status, reason, null, null, null, consentValue, consentAt);
        Optional<LeadRepository.Saved> saved = leads.save(record);
        if (saved.isEmpty()) {
            return unchanged(id, leads.findByDialfireId(id).orElseThrow());
        }
        return new LeadOutcome(saved.get().id(), id, saved.get().created() ? LeadOutcome.CREATED : LeadOutcome.REFRESHED,
                status, plz, reason);
    }

    private static LeadOutcome unchanged(String dialfireId, LeadRepository.StoredLead stored) {
        return new LeadOutcome(stored.id(), dialfireId, LeadOutcome.UNCHANGED, stored.status(), null, null);
    }

    /** Text of a scalar field, trimmed; "" when absent or not a scalar (as Dialfire's flat contact has it). */
    static String text(Map<String, Object> fields, String name) {
        Object value = fields.get(name);
        if (value == null || value instanceof Map || value instanceof List) {
            return "";
        }
        return value.toString().trim();
    }

    /**
     * A database that is down, out of connections or otherwise failing is infrastructure: the run must stop.
     * A data error (SQLSTATE class 22, e.g. a value too long; 23, a constraint; 54, a limit) belongs to the contact.
     */
    static boolean isInfrastructure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataAccessResourceFailureException || t instanceof TransactionException) {
                // no connection, no transaction: Spring's words for a database that is not there
                return true;
            }
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

    /** The fields with every NUL (in names and texts, nested too) replaced by U+FFFD. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> sanitized(Map<String, Object> fields) {
        return (Map<String, Object>) sanitize(fields);
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
