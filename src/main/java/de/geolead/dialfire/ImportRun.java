package de.geolead.dialfire;

import de.geolead.lead.LeadOutcome;
import de.geolead.lead.LeadStatus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** One run of the Dialfire import: its time window, where paging stands, and what it did. */
public final class ImportRun {

    private final Instant from;
    private final Instant to;
    private final boolean rescan;
    private Map<String, List<TransactionPage.Pointer>> pagePointers = Map.of();
    private Instant maxFired;
    private String cursor = "";
    private boolean morePages = true;
    private int pages;
    private List<DialfireContact> pageContacts = List.of();
    private List<String> pageContactIds = List.of();
    private List<String> contactBatches = List.of();
    private Instant pageMaxFired;

    // counted by several import workers at once
    private final AtomicInteger transactions = new AtomicInteger();
    private final AtomicInteger contacts = new AtomicInteger();
    private final AtomicInteger notReady = new AtomicInteger();
    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger refreshed = new AtomicInteger();
    private final AtomicInteger unchanged = new AtomicInteger();
    private final AtomicInteger unroutable = new AtomicInteger();
    private final AtomicInteger pdfMissing = new AtomicInteger();
    private final AtomicInteger invalid = new AtomicInteger();
    private final AtomicInteger noConsent = new AtomicInteger();

    public ImportRun(Instant from, Instant to) {
        this(from, to, false);
    }

    /** {@code rescan}: a daily re-scan of the last GEOLEAD_IMPORT_RESCAN, not only the watermark's overlap. */
    public ImportRun(Instant from, Instant to, boolean rescan) {
        this.from = from;
        this.to = to;
        this.rescan = rescan;
    }

    public Instant from() { return from; }
    public Instant to() { return to; }
    public String cursor() { return cursor; }
    public boolean hasMorePages() { return morePages; }
    public List<DialfireContact> getPageContacts() { return pageContacts; }
    public Instant pageMaxFired() { return pageMaxFired; }
    /** The latest fired time seen in the feed during this run (Dialfire's clock), or null. */
    public Instant maxFired() { return maxFired; }
    public boolean isRescan() { return rescan; }
    /** The feed transactions of this page that name the contact (pointers into its {@code $task_log}). */
    public List<TransactionPage.Pointer> pagePointersOf(String contactId) { return pagePointers.getOrDefault(contactId, List.of()); }
    public int pages() { return pages; }
    public int created() { return created.get(); }
    public int invalid() { return invalid.get(); }
    public int pdfMissing() { return pdfMissing.get(); }
    public int noConsent() { return noConsent.get(); }

    /** Takes the next page: its transactions, and the cursor for the one after; its contacts follow. */
    void page(TransactionPage page) {
        pages++;
        transactions.addAndGet(page.pointers().size());
        pageContacts = List.of();
        pageContactIds = page.contactIds();
        pagePointers = page.pointersByContact();
        pageMaxFired = page.maxFired().orElse(null);
        if (pageMaxFired != null && (maxFired == null || pageMaxFired.isAfter(maxFired))) {
            maxFired = pageMaxFired;
        }
        cursor = page.cursor();
        morePages = !page.lastPage();
    }

    List<String> pageContactIds() { return pageContactIds; }

    /** Continues the feed after {@code next} (tests that page by hand). */
    void resumeAfter(String next) {
        cursor = next == null ? "" : next;
    }
    List<String> contactBatches() { return contactBatches; }

    /** The page's contacts are (re)fetched in these flat_view batches. */
    void startContacts(List<String> batches) {
        contactBatches = List.copyOf(batches);
        pageContacts = List.of();
    }

    void addContacts(List<DialfireContact> batch) {
        List<DialfireContact> all = new java.util.ArrayList<>(pageContacts);
        all.addAll(batch);
        pageContacts = List.copyOf(all);
    }

    /** The page's contacts are all stored. */
    void pageDone() {
        contacts.addAndGet(pageContacts.size());
    }

    void skippedNotReady() {
        notReady.incrementAndGet();
    }

    void count(LeadOutcome outcome) {
        switch (outcome.change()) {
            case LeadOutcome.CREATED -> created.incrementAndGet();
            case LeadOutcome.REFRESHED -> refreshed.incrementAndGet();
            default -> unchanged.incrementAndGet();
        }
        if (!LeadOutcome.UNCHANGED.equals(outcome.change())) {
            if (LeadStatus.UNROUTABLE.equals(outcome.status())) {
                unroutable.incrementAndGet();
            } else if (LeadStatus.PDF_MISSING.equals(outcome.status())) {
                pdfMissing.incrementAndGet();
            } else if (LeadStatus.INVALID.equals(outcome.status())) {
                invalid.incrementAndGet();
            } else if (LeadStatus.NO_CONSENT.equals(outcome.status())) {
                noConsent.incrementAndGet();
            }
        }
    }

    public String summary() {
        return "Dialfire import" + (rescan ? " (re-scan)" : "") + " " + DialfireApi.TIME.format(from) + " .. " + DialfireApi.TIME.format(to) + ": "
                + pages + " page(s), " + transactions + " transaction(s), " + contacts + " contact(s), "
                + notReady + " not ready; leads created " + created + ", refreshed " + refreshed + ", unchanged " + unchanged
                + "; parked unroutable " + unroutable + ", pdf_missing " + pdfMissing + ", invalid " + invalid
                + ", no_consent " + noConsent;
    }
}
