package de.geolead.lead;

import java.util.Set;

/** The lead lifecycle as stored in {@code leads.status}. */
public final class LeadStatus {
    public static final String PENDING = "pending";
    public static final String UNROUTABLE = "unroutable";
    public static final String PDF_MISSING = "pdf_missing";
    /** The contact cannot be stored as it is (a NUL character, an unexpected storage error); kept sanitised. */
    public static final String INVALID = "invalid";
    public static final String DISTRIBUTED = "distributed";
    public static final String UNASSIGNED = "unassigned";
    public static final String EXPIRED = "expired";

    /** Statuses in which a newer Dialfire {@code $version} may still replace the contact data. */
    public static final Set<String> REFRESHABLE = Set.of(PENDING, UNROUTABLE, PDF_MISSING, INVALID);

    private LeadStatus() {
    }
}
