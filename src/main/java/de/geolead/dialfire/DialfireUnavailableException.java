package de.geolead.dialfire;

/** Dialfire kept answering 429/5xx (or could not be reached) after every retry. */
public class DialfireUnavailableException extends RuntimeException {
    public DialfireUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
