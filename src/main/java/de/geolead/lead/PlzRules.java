package de.geolead.lead;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * German postal codes (PLZ): validation, normalisation of a contact field,
 * and finding the homeowner's PLZ in the plain text of a lead sheet PDF.
 *
 * <p>A PLZ is five ASCII digits between 01001 and 99998. In free text most five-digit
 * numbers are something else (phone numbers, amounts, ids), so {@link #findInText}
 * only accepts a number that reads like a German address line or is labelled "PLZ".
 */
public final class PlzRules {

    private static final int MIN_PLZ = 1001;
    private static final int MAX_PLZ = 99998;

    /** How many characters on each side of a number {@link #findInText} looks at. */
    private static final int CONTEXT_CHARS = 40;

    /**
     * A contact field: five digits, optionally after "D-", "D ", "DE-" or "DE " (any case),
     * with any whitespace (including non-breaking spaces) around it.
     */
    private static final Pattern FIELD_VALUE =
            Pattern.compile("(?i)[\\s\\h]*(?:DE?[- ])?([0-9]{5})[\\s\\h]*");

    /** Exactly five digits, not glued to further letters, digits or underscores. */
    private static final Pattern FIVE_DIGITS =
            Pattern.compile("(?<![\\p{L}\\p{N}_])[0-9]{5}(?![\\p{L}\\p{N}_])");

    /** "PLZ" or "Postleitzahl" shortly before the number: "PLZ: ", "PLZ/Ort: D-", "PLZ und Ort ". */
    private static final Pattern PLZ_LABEL_BEFORE =
            Pattern.compile("(?iU)\\b(?:plz|postleitzahl)\\b[^0-9]{0,20}$");

    /** Whitespace and a capitalised word after the number: " München", " Halle (Saale)". */
    private static final Pattern PLACE_NAME_AFTER = Pattern.compile("^\\h+\\p{Lu}\\p{L}");

    /** Joined to a digit by punctuation before the number ("030-12345", "1.12345"), or "+12345", "#12345". */
    private static final Pattern JOINED_BEFORE = Pattern.compile("(?:[0-9][.,/-]|[+#]\\h*)$");

    /** Joined to a digit by punctuation after the number: "12345,00", "12345-0", "12345/6". */
    private static final Pattern JOINED_AFTER = Pattern.compile("^[.,/+-][0-9]");

    /** An area code in brackets before the number: "(089) 12345". */
    private static final Pattern AREA_CODE_BEFORE = Pattern.compile("\\([0-9 ]+\\)\\h*$");

    /** A digit group separated from the number by spaces only: "089 12345", "+49 30 12345". */
    private static final Pattern DIGITS_BEFORE = Pattern.compile("([0-9]+)\\h+$");

    /** More digits after spaces: "12345 678". */
    private static final Pattern DIGITS_AFTER = Pattern.compile("^\\h+[0-9]");

    /** A currency before the number: "€ 45000", "EUR 45000". */
    private static final Pattern CURRENCY_BEFORE =
            Pattern.compile("(?iU)(?:[€$£]|\\b(?:eur|euro|chf))\\h*$");

    /** A currency or unit after the number: "45000 EUR", "45000€", "12345 m²", "12345 qm", "12345 %". */
    private static final Pattern UNIT_AFTER = Pattern.compile(
            "(?iU)^\\h*(?:[€$£%]|(?:eur|teur|euro|chf|m²|m2|qm|quadratmeter)(?![\\p{L}\\p{N}]))");

    /** The last word before the number, skipping spaces and ". : #": "Nr." in "Auftrag Nr. 12345". */
    private static final Pattern LAST_WORD = Pattern.compile("(\\p{L}+)[\\h.:#]*$");

    /** Words after which a number is an id, phone number, amount or area, never a PLZ. */
    private static final Pattern NUMBER_LABEL = Pattern.compile(
            "no|id|tel|telefon|fax|mobil|handy|baujahr"
                    + "|.*(?:nr|nummer|preis|preisvorstellung|betrag|summe|fläche|flaeche)");

    private PlzRules() {
    }

    /**
     * True if a subscription may cover this: a valid PLZ, or a prefix of one to four digits
     * ("80" covers 80000-80999). Used for the {@code plz} metadata of Stripe subscriptions.
     */
    public static boolean isValidCoverage(String plzOrPrefix) {
        if (plzOrPrefix == null || plzOrPrefix.isEmpty() || plzOrPrefix.length() > 5) {
            return false;
        }
        if (plzOrPrefix.length() == 5) {
            return isValid(plzOrPrefix);
        }
        return plzOrPrefix.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** True if {@code plz} is exactly five ASCII digits between 01001 and 99998. */
    public static boolean isValid(String plz) {
        if (plz == null || plz.length() != 5) {
            return false;
        }
        for (int i = 0; i < 5; i++) {
            char c = plz.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        int value = Integer.parseInt(plz);
        return value >= MIN_PLZ && value <= MAX_PLZ;
    }

    /**
     * The PLZ in a contact field value, if it is one. Surrounding whitespace is ignored;
     * accepted forms are {@code 80331}, {@code D-80331}, {@code D 80331}, {@code DE-80331}
     * and {@code DE 80331} (prefix in any case). Anything else, e.g. {@code 80 331},
     * {@code 80331 München} or {@code D80331}, gives empty, as does null or blank.
     */
    public static Optional<String> normalize(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        Matcher m = FIELD_VALUE.matcher(raw);
        if (!m.matches() || !isValid(m.group(1))) {
            return Optional.empty();
        }
        return Optional.of(m.group(1));
    }

    /**
     * Finds the homeowner's PLZ in the plain text of a lead sheet, line by line.
     * A candidate is a valid five-digit number that, judged by the 40 characters around it,
     * is not part of a phone number, amount, area or id (see {@link #looksLikeOtherNumber}).
     * The first candidate
     * labelled "PLZ"/"Postleitzahl" wins; otherwise the first one followed by a capitalised
     * place name ("80331 München"); otherwise empty.
     */
    public static Optional<String> findInText(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String firstAddressLike = null;
        for (String line : text.split("\\R")) {
            Matcher m = FIVE_DIGITS.matcher(line);
            while (m.find()) {
                String number = m.group();
                String before = line.substring(Math.max(0, m.start() - CONTEXT_CHARS), m.start());
                String after = line.substring(m.end(), Math.min(line.length(), m.end() + CONTEXT_CHARS));
                if (!isValid(number) || looksLikeOtherNumber(before, after)) {
                    continue;
                }
                if (PLZ_LABEL_BEFORE.matcher(before).find()) {
                    return Optional.of(number);
                }
                if (firstAddressLike == null && PLACE_NAME_AFTER.matcher(after).find()) {
                    firstAddressLike = number;
                }
            }
        }
        return Optional.ofNullable(firstAddressLike);
    }

    /**
     * True if the text around a five-digit number shows it is not a PLZ: it is joined to
     * other digits (phone numbers, decimals), has a currency or unit next to it, or comes
     * right after a word such as "Nr.", "Tel.", "Kontakt-ID" or "Kaufpreis".
     */
    private static boolean looksLikeOtherNumber(String before, String after) {
        return JOINED_BEFORE.matcher(before).find()
                || JOINED_AFTER.matcher(after).find()
                || AREA_CODE_BEFORE.matcher(before).find()
                || DIGITS_AFTER.matcher(after).find()
                || digitsBeforeThatAreNoHouseNumber(before)
                || CURRENCY_BEFORE.matcher(before).find()
                || UNIT_AFTER.matcher(after).find()
                || endsWithNumberLabel(before);
    }

    /**
     * True if spaces separate the number from a preceding digit group ("089 12345"),
     * unless that group is a house number as in "Musterweg 12 80331 München": one to
     * four digits, no leading zero, after a word that is not a label like "Tel.".
     */
    private static boolean digitsBeforeThatAreNoHouseNumber(String before) {
        Matcher m = DIGITS_BEFORE.matcher(before);
        if (!m.find()) {
            return false;
        }
        String group = m.group(1);
        String rest = before.substring(0, m.start());
        boolean houseNumber = group.length() <= 4
                && group.charAt(0) != '0'
                && rest.matches("(?s).*[\\p{L}.]\\h*")
                && !endsWithNumberLabel(rest);
        return !houseNumber;
    }

    /** True if the last word of {@code before} is a label such as "Nr", "Tel" or "Kaufpreis". */
    private static boolean endsWithNumberLabel(String before) {
        Matcher m = LAST_WORD.matcher(before);
        return m.find() && NUMBER_LABEL.matcher(m.group(1).toLowerCase(Locale.GERMAN)).matches();
    }
}
