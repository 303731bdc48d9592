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
    /**
     * Kept out of distribution by hand ({@code POST /api/leads/{id}/park}): not planned (nor by the sweep), its pending
     * mails are skipped at send time; {@code unpark} makes it {@link #PENDING} again and publishes it for planning.
     */
    public static final String PARKED = "parked";
    /**
     * DIALFIRE_CONSENT_FIELD is set and the contact has no truthy value in it: kept, never mailed; a newer Dialfire
     * {@code $version} with consent makes it a lead like any other.
     */
    public static final String NO_CONSENT = "no_consent";

    /** Statuses in which a newer Dialfire {@code $version} may still replace the contact data. */
    public static final Set<String> REFRESHABLE = Set.of(PENDING, UNROUTABLE, PDF_MISSING, INVALID, NO_CONSENT);

    private LeadStatus() {
    }
}
