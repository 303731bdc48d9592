package de.geolead.subjects;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * E-mail addresses in one form for comparing: trimmed and lower-cased ({@code " Erika.Muster@Example.DE "} is
 * {@code erika.muster@example.de}). Lower-casing the local part too is what a person asking means: mailbox providers
 * do not tell {@code Erika} from {@code erika}. A request's address must look like one (one {@code @}, a dotted domain,
 * no spaces, at most 254 characters); the reasons never quote it.
 */
public final class EmailAddresses {

    static final int MAX_LENGTH = 254;
    private static final Pattern SHAPE = Pattern.compile("[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+");

    private EmailAddresses() {
    }

    /** The compared form of a request's address, or an {@link IllegalArgumentException} saying why it is none. */
    public static String normalise(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("the e-mail address is empty");
        }
        String address = comparable(raw);
        if (address.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the e-mail address is longer than " + MAX_LENGTH + " characters");
        }
        if (!SHAPE.matcher(address).matches()) {
            throw new IllegalArgumentException("the e-mail address must look like name@example.de");
        }
        return address;
    }

    /** The compared form of a stored value (not judged: a stored field is never refused). */
    public static String comparable(String raw) {
        return raw.strip().toLowerCase(Locale.ROOT);
    }
}
