package de.geolead.config;

/**
 * A setting Geolead cannot start with: the message names the environment variable and says what is wrong, never a
 * secret value. {@code GeoleadApplication} logs it as its one line "Geolead failed to start: …", without a stack
 * trace: the operator needs the variable, not the code path.
 */
public class SettingError extends IllegalArgumentException {

    public SettingError(String message) {
        super(message);
    }

    /** The first SettingError in {@code e}'s causes (Camel may wrap it), or null. */
    public static SettingError in(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SettingError setting) {
                return setting;
            }
        }
        return null;
    }
}
