package de.geolead.lead;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.dialfire.DialfireClient;
import de.geolead.dialfire.DialfireContact;
import de.geolead.dialfire.LeadSheetDownload;

import java.io.IOException;
import java.util.Optional;

/**
 * Turns one ready Dialfire contact into a stored lead: fetches its lead sheet, finds its PLZ
 * (the configured field first, else the PDF's text) and stores both in one transaction.
 * A lead without PDF or PLZ is stored all the same, parked with its reason.
 */
public class LeadIntake {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DialfireClient dialfire;
    private final LeadRepository leads;
    private final String plzField;
    private final String pdfField;
    private final int pdfMaxBytes;

    public LeadIntake(DialfireClient dialfire, LeadRepository leads, String plzField, String pdfField, int pdfMaxBytes) {
        this.dialfire = dialfire;
        this.leads = leads;
        this.plzField = plzField;
        this.pdfField = pdfField;
        this.pdfMaxBytes = pdfMaxBytes;
    }

    public LeadOutcome store(DialfireContact contact) {
        if (contact.id().isEmpty() || contact.version().isEmpty()) {
            throw new IllegalArgumentException("Dialfire contact without $id or $version cannot become a lead");
        }
        Optional<LeadRepository.StoredLead> stored = leads.findByDialfireId(contact.id());
        if (stored.isPresent() && !stored.get().refreshableBy(contact.version())) {
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
        if (!sheet.isPresent()) {
            status = LeadStatus.PDF_MISSING;
            reason = sheet.missingReason() + " (field '" + pdfField + "')";
        } else if (plz.isEmpty()) {
            status = LeadStatus.UNROUTABLE;
            reason = "no valid PLZ in field '" + plzField + "' (" + (fieldValue.isEmpty() ? "empty" : "'" + fieldValue + "'")
                    + ") nor in the PDF text" + (pdfTextProblem == null ? "" : "; " + pdfTextProblem);
        } else {
            status = LeadStatus.PENDING;
        }

        LeadRepository.LeadRecord record = new LeadRepository.LeadRecord(contact.id(), contact.version(), toJson(contact),
                plz.orElse(null), sheet.sourceUrl(), status, reason, sheet.bytes());
        Optional<LeadRepository.Saved> saved = leads.save(record);
        if (saved.isEmpty()) {
            // someone else (a parallel run, the distribution) changed the lead meanwhile; theirs stands
            return unchanged(contact, leads.findByDialfireId(contact.id()).orElseThrow());
        }
        return new LeadOutcome(saved.get().id(), contact.id(),
                saved.get().created() ? LeadOutcome.CREATED : LeadOutcome.REFRESHED, status, plz.orElse(null), reason);
    }

    private static LeadOutcome unchanged(DialfireContact contact, LeadRepository.StoredLead stored) {
        return new LeadOutcome(stored.id(), contact.id(), LeadOutcome.UNCHANGED, stored.status(), null, null);
    }

    private static String toJson(DialfireContact contact) {
        try {
            return JSON.writeValueAsString(contact.fields());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Dialfire contact " + contact.id() + " cannot be written as JSON", e);
        }
    }
}
