package de.geolead.subjects;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Phone numbers in one canonical form, {@code +} and the digits with the country code ({@code +49301234567}), so
 * that a data-subject request finds a homeowner's leads however the number was typed: {@code +49 30 1234567},
 * {@code 030 1234567}, {@code 0049 30 1234567}, {@code (030) 123-45 67}, {@code 030/1234567},
 * {@code +49 (0)30 1234567} are all {@code +49301234567}. A national number (leading {@code 0}) is German; a foreign
 * number keeps its own country code ({@code +43 1 234567}, {@code 0043 1 234567}).
 *
 * <p>Refused (not a phone number): letters or other characters than digits, spaces, {@code - / . ( )} and one leading
 * {@code +}; a number without country or area code (it does not start with {@code +}, {@code 00} or {@code 0}); a
 * country code starting with 0; fewer than 7 or more than 15 digits after the country code's {@code +} (E.164). The
 * reasons never quote the number: they may reach an API answer and a log line.
 */
public final class PhoneNumbers {

    /** The longest input looked at: anything longer is no phone number (and is not copied around). */
    static final int MAX_INPUT = 40;
    private static final int MIN_DIGITS = 7;
    private static final int MAX_DIGITS = 15;
    private static final Pattern ALLOWED = Pattern.compile("\\+?[0-9\\s\\u00A0\\-/.()]+");
    private static final Pattern SEPARATORS = Pattern.compile("[\\s\\u00A0\\-/.()]");
    /** The German trunk zero in brackets after an international prefix: {@code +49 (0)30 …}. */
    private static final Pattern TRUNK_ZERO = Pattern.compile("\\(\\s*0\\s*\\)");

    private PhoneNumbers() {
    }

    /** The canonical form of {@code raw}, or an {@link IllegalArgumentException} saying why it is no phone number. */
    public static String normalise(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("the phone number is empty");
        }
        String text = raw.strip();
        if (text.length() > MAX_INPUT) {
            throw new IllegalArgumentException("the phone number is longer than " + MAX_INPUT + " characters");
        }
        if (!ALLOWED.matcher(text).matches()) {
            throw new IllegalArgumentException("the phone number may hold only digits, spaces, - / . ( ) and a leading +");
        }
        boolean international = text.startsWith("+") || text.startsWith("00");
        if (international) {
            text = TRUNK_ZERO.matcher(text).replaceFirst("");
        }
        String digits = SEPARATORS.matcher(text).replaceAll("");
        String withCountry;
        if (digits.startsWith("+")) {
            withCountry = digits.substring(1);
        } else if (digits.startsWith("00")) {
            withCountry = digits.substring(2);
        } else if (digits.startsWith("0")) {
            withCountry = "49" + digits.substring(1);
        } else {
            throw new IllegalArgumentException("the phone number needs its area code (0…) or country code (+… or 00…)");
        }
        if (withCountry.isEmpty() || withCountry.startsWith("0")) {
            throw new IllegalArgumentException("the phone number's country code cannot start with 0");
        }
        if (withCountry.startsWith("490")) {
            // +49 030 …: the national trunk zero written after the country code
            withCountry = "49" + withCountry.substring(3);
        }
        if (withCountry.length() < MIN_DIGITS || withCountry.length() > MAX_DIGITS) {
            throw new IllegalArgumentException("the phone number must have " + MIN_DIGITS + " to " + MAX_DIGITS
                    + " digits with its country code");
        }
        return "+" + withCountry;
    }

    /** The canonical form of a stored value, or empty when it is no phone number (a stored field is never refused). */
    public static Optional<String> parse(String raw) {
        try {
            return Optional.of(normalise(raw));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
