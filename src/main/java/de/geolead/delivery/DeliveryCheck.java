package de.geolead.delivery;

import de.geolead.distribution.DeliveryWindow;
import de.geolead.lead.LeadStatus;

import java.time.Duration;
import java.time.Instant;

/**
 * The send-time check of one mail, without I/O: given what the database says about the row now, the delivery window
 * and the clock, what the delivery does ({@link Delivery#SEND}, {@link Delivery#RESCHEDULE}, {@link Delivery#SKIPPED}
 * or {@link Delivery#DUPLICATE}) and why. {@link DeliveryService} reads the facts, records the verdict and, for
 * {@code send}, composes the mail and claims the row.
 */
public final class DeliveryCheck {

    /** A message arriving this much before the row's next attempt time is a duplicate, not the retry's own message. */
    static final Duration EARLY_TOLERANCE = Duration.ofSeconds(1);

    private DeliveryCheck() {
    }

    /** The kinds of mail ({@code lead_distributions.kind}): by the distribution, a manual hand-out, a resend. */
    public static final String PLANNED = "planned";
    public static final String MANUAL = "manual";
    public static final String RESEND = "resend";

    /**
     * The row's facts at send time.
     *
     * @param status         the distribution's status ({@code pending}, {@code sending}, {@code sent}, {@code skipped}, {@code failed})
     * @param nextAttemptAt  when a retry's own message is due; null if none
     * @param customerStatus the agent's customer status ({@code paid}, ...)
     * @param pausedUntil    the agent's pause; null if none
     * @param plz            the lead's PLZ (for the reason)
     * @param covered        whether an active subscription of the agent still covers the PLZ
     * @param hasPdf         whether the lead sheet is stored
     * @param kind           {@link #PLANNED}, {@link #MANUAL} or {@link #RESEND}
     * @param forced         a manual hand-out made with {@code force}: needs no covering subscription
     * @param leadStatus     the lead's status now ({@code parked} and {@code no_consent} stop every mail of the lead)
     */
    public record Facts(String status, Instant nextAttemptAt, String customerStatus, Instant pausedUntil, String plz,
                        boolean covered, boolean hasPdf, String kind, boolean forced, String leadStatus) {

        /** A planned mail of a distributed lead. */
        public Facts(String status, Instant nextAttemptAt, String customerStatus, Instant pausedUntil, String plz,
                     boolean covered, boolean hasPdf) {
            this(status, nextAttemptAt, customerStatus, pausedUntil, plz, covered, hasPdf, PLANNED, false, LeadStatus.DISTRIBUTED);
        }

        /** A resend goes to an agent who had the lead already; a forced hand-out to one chosen by hand. */
        boolean needsCoverage() {
            return PLANNED.equals(kind) || MANUAL.equals(kind) && !forced;
        }

        /** A resend is a copy of a mail the agent got before their pause: it goes out anyway. */
        boolean stopsWhenPaused() {
            return !RESEND.equals(kind);
        }
    }

    /**
     * @param action       one of {@link Delivery#ACTIONS}
     * @param reason       why (skipped, duplicate); null for send and reschedule
     * @param rescheduleAt the window's next opening (reschedule); null otherwise
     */
    public record Verdict(String action, String reason, Instant rescheduleAt) {
    }

    public static Verdict check(Facts row, DeliveryWindow window, Instant now) {
        if ("skipped".equals(row.status()) || "failed".equals(row.status())) {
            // a redelivery of a message whose follow-up was rolled back: follow it up again
            return new Verdict(Delivery.SKIPPED, "already " + row.status(), null);
        }
        if (!"pending".equals(row.status())) {
            return new Verdict(Delivery.DUPLICATE, "already " + row.status(), null);
        }
        if (row.nextAttemptAt() != null && row.nextAttemptAt().isAfter(now.plus(EARLY_TOLERANCE))) {
            // a duplicate message (the sweep, a redelivery): the retry's own message is scheduled for then
            return new Verdict(Delivery.DUPLICATE, "next attempt is scheduled for " + row.nextAttemptAt(), null);
        }
        if (!window.isOpen(now)) {
            return new Verdict(Delivery.RESCHEDULE, null, window.nextOpening(now));
        }
        String reason = ineligibility(row, now);
        return reason != null ? new Verdict(Delivery.SKIPPED, reason, null) : new Verdict(Delivery.SEND, null, null);
    }

    /**
     * Why the mail may not go out now, or null. Every kind needs a lead that is not parked (nor without consent), a paying agent and the lead
     * sheet; a pause stops planned and manual mails (not resends); a covering subscription is needed by planned mails
     * and manual ones made without {@code force}.
     */
    private static String ineligibility(Facts row, Instant now) {
        if (LeadStatus.PARKED.equals(row.leadStatus())) {
            return "lead parked";
        }
        if (LeadStatus.NO_CONSENT.equals(row.leadStatus())) {
            // DIALFIRE_CONSENT_FIELD: never mailed, whoever made the row (planned, by hand, a resend)
            return "no consent to pass the lead on";
        }
        if (!"paid".equals(row.customerStatus())) {
            return "customer is " + row.customerStatus() + " at send time";
        }
        if (row.stopsWhenPaused() && row.pausedUntil() != null && row.pausedUntil().isAfter(now)) {
            return "customer paused until " + row.pausedUntil();
        }
        if (row.needsCoverage() && !row.covered()) {
            return "no active subscription covers PLZ " + row.plz() + " at send time";
        }
        if (!row.hasPdf()) {
            return "the lead sheet is missing";
        }
        return null;
    }
}
