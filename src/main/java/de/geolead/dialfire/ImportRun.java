package de.geolead.dialfire;

import de.geolead.lead.LeadOutcome;
import de.geolead.lead.LeadStatus;

import java.time.Instant;
import java.util.List;

/** One run of the Dialfire import: its time window, where paging stands, and what it did. */
public final class ImportRun {

    private final Instant from;
    private final Instant to;
    private String cursor = "";
    private boolean morePages = true;
    private int pages;
    private List<DialfireContact> pageContacts = List.of();
    private Instant pageMaxFired;

    private int transactions;
    private int contacts;
    private int notReady;
    private int created;
    private int refreshed;
    private int unchanged;
    private int unroutable;
    private int pdfMissing;

    public ImportRun(Instant from, Instant to) {
        this.from = from;
        this.to = to;
    }

    public Instant from() { return from; }
    public Instant to() { return to; }
    public String cursor() { return cursor; }
    public boolean hasMorePages() { return morePages; }
    public List<DialfireContact> getPageContacts() { return pageContacts; }
    public Instant pageMaxFired() { return pageMaxFired; }
    public int pages() { return pages; }
    public int created() { return created; }

    /** Takes the next page: its transactions' contacts, and the cursor for the one after. */
    void page(TransactionPage page, List<DialfireContact> contactsOfPage) {
        pages++;
        transactions += page.pointers().size();
        contacts += contactsOfPage.size();
        pageContacts = List.copyOf(contactsOfPage);
        pageMaxFired = page.maxFired().orElse(null);
        cursor = page.cursor();
        morePages = !page.lastPage();
    }

    void skippedNotReady() {
        notReady++;
    }

    void count(LeadOutcome outcome) {
        switch (outcome.change()) {
            case LeadOutcome.CREATED -> created++;
            case LeadOutcome.REFRESHED -> refreshed++;
            default -> unchanged++;
        }
        if (!LeadOutcome.UNCHANGED.equals(outcome.change())) {
            if (LeadStatus.UNROUTABLE.equals(outcome.status())) {
                unroutable++;
            } else if (LeadStatus.PDF_MISSING.equals(outcome.status())) {
                pdfMissing++;
            }
        }
    }

    public String summary() {
        return "Dialfire import " + DialfireClient.TIME.format(from) + " .. " + DialfireClient.TIME.format(to) + ": "
                + pages + " page(s), " + transactions + " transaction(s), " + contacts + " contact(s), "
                + notReady + " not ready; leads created " + created + ", refreshed " + refreshed + ", unchanged " + unchanged
                + "; parked unroutable " + unroutable + ", pdf_missing " + pdfMissing;
    }
}
