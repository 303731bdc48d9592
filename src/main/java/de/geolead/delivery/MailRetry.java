package de.geolead.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * When a mail whose SMTP attempt failed for a transient reason is tried again, and for how long.
 *
 * @param backoff    the wait after the first failed attempt, doubled after each further one ({@code GEOLEAD_MAIL_BACKOFF})
 * @param maxBackoff the longest wait between two attempts ({@code GEOLEAD_MAIL_MAX_BACKOFF})
 * @param retryFor   how long after the mail fell due it is still tried ({@code GEOLEAD_MAIL_RETRY_FOR}); then {@code failed}
 * @param lease      how long a claim ({@code sending}) belongs to its attempt ({@code GEOLEAD_MAIL_LEASE}); it must be
 *                   longer than the longest SMTP conversation, else the sweep may send a mail whose attempt is still alive
 */
public record MailRetry(Duration backoff, Duration maxBackoff, Duration retryFor, Duration lease) {

    public MailRetry {
        if (backoff.isNegative() || backoff.isZero() || maxBackoff.compareTo(backoff) < 0 || retryFor.isNegative() || lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("Mail retry settings must be positive and GEOLEAD_MAIL_MAX_BACKOFF >= GEOLEAD_MAIL_BACKOFF, got backoff "
                    + backoff + ", max backoff " + maxBackoff + ", retry for " + retryFor + ", lease " + lease);
        }
    }

    /** The wait after the {@code attempt}-th failed attempt (1-based): backoff × 2^(attempt−1), at most maxBackoff. */
    public Duration delayAfter(int attempt) {
        int doublings = Math.max(0, Math.min(attempt - 1, 40));
        Duration delay = backoff;
        for (int i = 0; i < doublings && delay.compareTo(maxBackoff) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }

    /** The next attempt after a failure at {@code now}, never later than the end of the retry period; null = give up. */
    public Instant nextAttempt(Instant dueAt, int attempt, Instant now) {
        Instant deadline = dueAt.plus(retryFor);
        if (!now.isBefore(deadline)) {
            return null;
        }
        Instant next = now.plus(delayAfter(attempt));
        return next.isAfter(deadline) ? deadline : next;
    }
}
