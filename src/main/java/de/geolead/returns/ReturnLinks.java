package de.geolead.returns;

import de.geolead.delivery.ReturnLink;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The signed return links in the lead mails ({@code GEOLEAD_PUBLIC_URL/r/<token>}): the token is the capability, no
 * login. Token = base64url("leadId.customerId.distributionId.expiry") + "." + base64url(HMAC-SHA256 of that first part
 * with {@code GEOLEAD_LINK_SECRET}); expiry (epoch seconds) = the mail's send time + {@code GEOLEAD_RETURN_WINDOW}.
 * The MAC is compared in constant time and checked before anything in the token is believed; a token that is
 * intact but past its expiry is {@link Verdict#EXPIRED}. Single use is the database's (one return per lead and agent).
 *
 * <p>Without a secret of at least {@value #MIN_SECRET_BYTES} bytes or without a public URL, links are off: mails carry
 * none and every /r/ call answers 404.
 */
public final class ReturnLinks implements ReturnLink.Maker {

    static final int MIN_SECRET_BYTES = 32;
    private static final int MAX_TOKEN_LENGTH = 200;
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{8,120}\\.[A-Za-z0-9_-]{43}");
    private static final Pattern CLAIMS = Pattern.compile("[1-9][0-9]{0,17}\\.[1-9][0-9]{0,17}\\.[1-9][0-9]{0,17}\\.[1-9][0-9]{0,11}");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /** What a token says, once its MAC is verified. */
    public record Claims(long leadId, long customerId, long distributionId, Instant expiry) {
    }

    /** The outcome of checking a token. */
    public enum Verdict { VALID, INVALID, EXPIRED }

    /** A checked token: its verdict and, unless invalid, its claims. */
    public record Checked(Verdict verdict, Claims claims) {
    }

    private final byte[] secret;
    private final String publicUrl;
    private final Duration window;
    private final Clock clock;

    /**
     * @param secret    GEOLEAD_LINK_SECRET; null/empty or shorter than 32 bytes (UTF-8) = links off
     * @param publicUrl GEOLEAD_PUBLIC_URL, the base of the links (http or https); null/empty = links off
     * @param window    GEOLEAD_RETURN_WINDOW: how long after the mail the link works
     */
    public ReturnLinks(String secret, String publicUrl, Duration window, Clock clock) {
        byte[] key = secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8);
        String base = publicUrl == null ? "" : publicUrl.strip().replaceAll("/+$", "");
        boolean on = key.length >= MIN_SECRET_BYTES && validBase(base);
        this.secret = on ? key : null;
        this.publicUrl = on ? base : null;
        this.window = window;
        this.clock = clock;
    }

    /** Why links are off (for the one start-up line), or empty when they are on. */
    public static Optional<String> whyOff(String secret, String publicUrl) {
        if (secret == null || secret.isEmpty()) {
            return Optional.of("GEOLEAD_LINK_SECRET is not set");
        }
        if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            return Optional.of("GEOLEAD_LINK_SECRET is shorter than " + MIN_SECRET_BYTES + " bytes (e.g. openssl rand -hex 32)");
        }
        String base = publicUrl == null ? "" : publicUrl.strip();
        if (base.isEmpty()) {
            return Optional.of("GEOLEAD_PUBLIC_URL is not set");
        }
        if (!validBase(base.replaceAll("/+$", ""))) {
            return Optional.of("GEOLEAD_PUBLIC_URL must be an http(s) URL without query, e.g. https://leads.example.de");
        }
        return Optional.empty();
    }

    private static boolean validBase(String base) {
        return base.matches("https?://[A-Za-z0-9.\\-\\[\\]:]+(/[A-Za-z0-9._~\\-/]*)?");
    }

    public boolean enabled() {
        return secret != null;
    }

    public Duration window() {
        return window;
    }

    @Override
    public Optional<ReturnLink> linkFor(long leadId, long customerId, long distributionId, Instant sentAt) {
        if (!enabled()) {
            return Optional.empty();
        }
        Instant expiry = sentAt.plus(window);
        return Optional.of(new ReturnLink(publicUrl + "/r/" + token(leadId, customerId, distributionId, expiry), expiry));
    }

    /** The token of these claims (expiry to the second). */
    String token(long leadId, long customerId, long distributionId, Instant expiry) {
        String claims = ENCODER.encodeToString((leadId + "." + customerId + "." + distributionId + "." + expiry.getEpochSecond())
                .getBytes(StandardCharsets.US_ASCII));
        return claims + "." + ENCODER.encodeToString(mac(claims));
    }

    /** Checks a token from a link: its form and MAC (constant time), then its expiry against now. */
    public Checked check(String token) {
        if (!enabled() || token == null || token.length() > MAX_TOKEN_LENGTH || !TOKEN.matcher(token).matches()) {
            return new Checked(Verdict.INVALID, null);
        }
        int dot = token.indexOf('.');
        String claims = token.substring(0, dot);
        byte[] given;
        try {
            given = DECODER.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return new Checked(Verdict.INVALID, null);
        }
        if (!MessageDigest.isEqual(mac(claims), given)) {
            return new Checked(Verdict.INVALID, null);
        }
        String text;
        try {
            text = new String(DECODER.decode(claims), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            return new Checked(Verdict.INVALID, null);
        }
        if (!CLAIMS.matcher(text).matches()) {
            return new Checked(Verdict.INVALID, null);
        }
        String[] parts = text.split("\\.");
        Claims parsed = new Claims(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]),
                Instant.ofEpochSecond(Long.parseLong(parts[3])));
        boolean expired = clock.instant().isAfter(parsed.expiry());
        return new Checked(expired ? Verdict.EXPIRED : Verdict.VALID, parsed);
    }

    private byte[] mac(String claims) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(claims.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
