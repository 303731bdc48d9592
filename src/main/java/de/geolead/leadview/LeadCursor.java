package de.geolead.leadview;

import de.geolead.api.ApiProblem;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * Where a page of {@code GET /api/leads} ended: the last lead's {@code created_at} (microseconds, PostgreSQL's precision)
 * and id. The next page starts strictly after it in the order {@code created_at DESC, id DESC} (keyset paging: leads
 * stored between two calls neither shift nor repeat the rows that follow). To the caller it is an opaque string,
 * base64url of {@code v1|<epoch micros>|<id>|<crc32>}; the checksum makes a garbled or edited cursor a 400 instead of
 * a silent jump to somewhere else in the list.
 */
public record LeadCursor(Instant createdAt, long id) {

    private static final Pattern FORMAT = Pattern.compile("v1\\|(-?\\d{1,19})\\|(\\d{1,19})\\|([0-9a-f]{8})");

    /** The opaque form handed out as {@code nextCursor}. */
    public String encode() {
        String payload = "v1|" + ChronoUnit.MICROS.between(Instant.EPOCH, createdAt) + "|" + id;
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((payload + "|" + crc(payload)).getBytes(StandardCharsets.US_ASCII));
    }

    /** The position in {@code cursor}; null or empty = from the start; anything not handed out by {@link #encode} → 400. */
    public static LeadCursor decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        if (cursor.length() > 100) {
            throw invalid();
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw invalid();
        }
        String payload = "v1|" + m.group(1) + "|" + m.group(2);
        if (!crc(payload).equals(m.group(3))) {
            throw invalid();
        }
        try {
            long micros = Long.parseLong(m.group(1));
            return new LeadCursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), Long.parseLong(m.group(2)));
        } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
            throw invalid();
        }
    }

    private static String crc(String payload) {
        CRC32 crc = new CRC32();
        crc.update(payload.getBytes(StandardCharsets.US_ASCII));
        return String.format("%08x", crc.getValue());
    }

    private static ApiProblem invalid() {
        return ApiProblem.badRequest("cursor is not one this API handed out: pass nextCursor of the previous page unchanged");
    }
}
