package de.geolead.console;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Salted, slow password hashes for the console's users file:
 * {@code pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>} (PBKDF2 with HMAC-SHA256).
 */
public final class PasswordHash {

    private static final String SCHEME = "pbkdf2-sha256";
    /** OWASP's current figure for PBKDF2-HMAC-SHA256; stored hashes below {@link #MIN_ITERATIONS} are refused. */
    static final int ITERATIONS = 600_000;
    static final int MIN_ITERATIONS = 210_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHash() {
    }

    /** A new hash of {@code password} with a fresh random salt. */
    public static String create(char[] password) {
        if (password.length == 0) {
            throw new IllegalArgumentException("An empty password cannot be hashed");
        }
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
        return SCHEME + "$" + ITERATIONS + "$" + base64.encodeToString(salt) + "$"
                + base64.encodeToString(pbkdf2(password, salt, ITERATIONS, HASH_BYTES));
    }

    /**
     * Whether {@code password} matches {@code stored}, compared in constant time. An empty password and a
     * malformed or too weak stored hash never match (and throw nothing).
     */
    public static boolean matches(char[] password, String stored) {
        String[] parts = stored == null ? new String[0] : stored.split("\\$", -1);
        try {
            if (password.length == 0 || parts.length != 4 || !parts[0].equals(SCHEME)) {
                return false;
            }
            int iterations = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            if (iterations < MIN_ITERATIONS || salt.length == 0 || expected.length < 16) {
                return false;
            }
            return MessageDigest.isEqual(expected, pbkdf2(password, salt, iterations, expected.length));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bytes) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bytes * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
        }
    }
}
