package de.geolead.dialfire;

/** Dialfire answered 403: the campaign token is wrong or lacks the campaignAPI permission. Never retried. */
public class DialfireAccessDeniedException extends RuntimeException {
    public DialfireAccessDeniedException(String message) {
        super(message);
    }
}
