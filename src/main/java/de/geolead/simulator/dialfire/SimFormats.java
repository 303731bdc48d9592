package de.geolead.simulator.dialfire;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/** Dialfire's identifier and time formats, in one place. */
final class SimFormats {

    /** Dialfire timestamps: UTC with milliseconds and a literal Z, e.g. 2024-05-03T09:41:27.644Z. */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static final String ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private SimFormats() {
    }

    static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    /**
     * Parses the {@code from}/{@code to} query values of the transactions feed: UTC
     * {@code yyyy-MM-dd'T'HH:mm:ss[.SSS]} (no zone; a trailing Z is tolerated) or a plain date
     * {@code yyyy-MM-dd} (= start of that day, UTC). Truncated to milliseconds.
     *
     * @throws IllegalArgumentException if the text matches neither form
     */
    static Instant parseQueryTime(String text) {
        String value = text.trim();
        if (value.endsWith("Z") || value.endsWith("z")) {
            value = value.substring(0, value.length() - 1);
        }
        try {
            if (value.length() == 10) {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("invalid time '" + text + "'", e);
        }
    }

    /** A random 16-char upper-case alphanumeric id, the format of Dialfire's contact ids and versions. */
    static String newId() {
        StringBuilder id = new StringBuilder(16);
        for (int i = 0; i < 16; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }

    /** A random German phone number such as +4930123456789. */
    static String newPhone() {
        return "+4930" + (100_000_000 + RANDOM.nextInt(900_000_000));
    }

    static String md5Hex(String text) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            return HexFormat.of().formatHex(md5.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is always available in the JDK", e);
        }
    }
}
