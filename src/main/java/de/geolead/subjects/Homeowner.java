package de.geolead.subjects;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Whom a data-subject request is about: a phone number and/or an e-mail address in their compared forms
 * ({@link PhoneNumbers}, {@link EmailAddresses}), and whether a stored Dialfire contact belongs to that person.
 *
 * <p>A contact matches when one of its phone fields holds the same number, or one of its e-mail fields the same
 * address (either is enough when both are asked for). Which fields count, by name (lower-cased, a leading {@code $}
 * dropped):
 * <ul>
 * <li>phone: names containing {@code phone}, {@code telefon}, {@code mobil}, {@code handy} or {@code festnetz}, or
 *     starting with {@code tel} — {@code $phone}, {@code telefon}, {@code telefon2}, {@code mobil}, {@code handy},
 *     {@code phone_alt}, {@code tel_privat};</li>
 * <li>e-mail: names containing {@code mail} — {@code email}, {@code e_mail}, {@code emailadresse}, {@code mail}.</li>
 * </ul>
 * The rule is generous on purpose: a field wrongly taken for a phone field ({@code immobilie}, {@code telefonzeit})
 * costs nothing, since its value must still be the same number, while a phone field missed would leave a lead of the
 * person unfound. Values may be strings, numbers or lists of them.
 */
public record Homeowner(String phone, String email) {

    private static final Pattern PHONE_FIELD = Pattern.compile("^tel.*|.*(phone|telefon|mobil|handy|festnetz).*");
    private static final Pattern EMAIL_FIELD = Pattern.compile(".*mail.*");

    /**
     * The person of a request: at least one of {@code phone} and {@code email} given (blank = not given), each
     * normalised; an {@link IllegalArgumentException} says what is wrong, never quoting the values.
     */
    public static Homeowner of(String phone, String email) {
        boolean hasPhone = phone != null && !phone.isBlank();
        boolean hasEmail = email != null && !email.isBlank();
        if (!hasPhone && !hasEmail) {
            throw new IllegalArgumentException("give the homeowner's phone or email (or both)");
        }
        return new Homeowner(hasPhone ? PhoneNumbers.normalise(phone) : null, hasEmail ? EmailAddresses.normalise(email) : null);
    }

    /** What the request searched by, for answers, logs and the audit log: "phone", "email" (never the values). */
    public List<String> searchedBy() {
        List<String> by = new ArrayList<>();
        if (phone != null) {
            by.add("phone");
        }
        if (email != null) {
            by.add("email");
        }
        return List.copyOf(by);
    }

    /** Whether the stored contact {@code fields} belong to this person. */
    public boolean matches(Map<String, Object> fields) {
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            String name = fieldName(field.getKey());
            if (phone != null && PHONE_FIELD.matcher(name).matches() && anyValue(field.getValue(), this::samePhone)) {
                return true;
            }
            if (email != null && EMAIL_FIELD.matcher(name).matches() && anyValue(field.getValue(), this::sameEmail)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a contact field of this name is searched for a phone number. */
    static boolean isPhoneField(String name) {
        return PHONE_FIELD.matcher(fieldName(name)).matches();
    }

    /** Whether a contact field of this name is searched for an e-mail address. */
    static boolean isEmailField(String name) {
        return EMAIL_FIELD.matcher(fieldName(name)).matches();
    }

    private boolean samePhone(String value) {
        return value.length() <= PhoneNumbers.MAX_INPUT && PhoneNumbers.parse(value).filter(phone::equals).isPresent();
    }

    private boolean sameEmail(String value) {
        return EmailAddresses.comparable(value).equals(email);
    }

    private static String fieldName(String key) {
        String name = key == null ? "" : key.toLowerCase(Locale.ROOT);
        return name.startsWith("$") ? name.substring(1) : name;
    }

    private static boolean anyValue(Object value, java.util.function.Predicate<String> test) {
        if (value instanceof String text) {
            return !text.isBlank() && test.test(text);
        }
        if (value instanceof Number number) {
            return test.test(number.toString());
        }
        if (value instanceof Collection<?> values) {
            for (Object each : values) {
                if ((each instanceof String || each instanceof Number) && anyValue(each, test)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Never the values: this record reaches no log line, but if it did, it would say nothing of the person. */
    @Override
    public String toString() {
        return "Homeowner" + searchedBy();
    }
}
