package de.geolead.privacy;

/**
 * A lead's stored contact or PDF cannot be read: sealed with a key GEOLEAD_DATA_KEYS does not hold, altered, or not
 * JSON. It concerns that one row only: callers report it for the row (a failed mail, a note in the lead view) and go on.
 * The message names the lead and the key id, never a value.
 */
public class UnreadableLeadData extends RuntimeException {

    private final long leadId;

    public UnreadableLeadData(long leadId, String message, Throwable cause) {
        super(message, cause);
        this.leadId = leadId;
    }

    public long leadId() {
        return leadId;
    }
}
