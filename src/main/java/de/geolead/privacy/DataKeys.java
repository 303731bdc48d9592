package de.geolead.privacy;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The keys of {@code GEOLEAD_DATA_KEYS}: comma-separated {@code keyid:base64key} pairs of 32-byte AES keys. The first
 * key seals what is written now; every key opens what was sealed with it, so a new key can go first while rows sealed
 * with the old one are still read (rotation without downtime, see {@code java -jar geolead.jar rotate-data-keys}).
 * Empty: no keys, the contact and the PDF are stored plain.
 *
 * <p>A malformed value is refused as a whole ({@link IllegalArgumentException} naming the variable, the pair's
 * position and, when it is a valid one, its key id): a key that is almost right must not seal anything. No message and
 * no {@link #toString()} ever carries key material.
 */
public final class DataKeys {

    /** The environment variable, as every message names it. */
    public static final String VARIABLE = "GEOLEAD_DATA_KEYS";
    /** AES-256. */
    public static final int KEY_BYTES = 32;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");

    private static final DataKeys NONE = new DataKeys(new LinkedHashMap<>());

    /** Key id → key, in the order given: the first is the current one. */
    private final Map<String, SecretKey> keys;

    private DataKeys(LinkedHashMap<String, SecretKey> keys) {
        this.keys = keys;
    }

    /** No keys: everything is stored plain. */
    public static DataKeys none() {
        return NONE;
    }

    /** Parses {@code GEOLEAD_DATA_KEYS}; blank = {@link #none()}. */
    public static DataKeys parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        LinkedHashMap<String, SecretKey> keys = new LinkedHashMap<>();
        String[] pairs = value.split(",", -1);
        for (int i = 0; i < pairs.length; i++) {
            int position = i + 1;
            String pair = pairs[i].strip();
            if (pair.isEmpty()) {
                throw problem(position, null, "is empty (a comma too many?)");
            }
            int colon = pair.indexOf(':');
            if (colon < 0) {
                throw problem(position, null, "is not keyid:base64key");
            }
            String id = pair.substring(0, colon).strip();
            if (id.isEmpty()) {
                throw problem(position, null, "has an empty key id");
            }
            if (!KEY_ID.matcher(id).matches()) {
                // not echoed: a pair written the wrong way round would put key material here
                throw problem(position, null, "has a key id that is not 1-32 characters of A-Z a-z 0-9 _ -");
            }
            if (keys.containsKey(id)) {
                throw problem(position, id, "repeats a key id used before");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(pair.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                // the decoder's message quotes the offending character: never passed on
                throw problem(position, id, "does not hold a base64 key (make one with: openssl rand -base64 32)");
            }
            if (key.length != KEY_BYTES) {
                throw problem(position, id, "holds a key of " + key.length + " bytes, not " + KEY_BYTES
                        + " (make one with: openssl rand -base64 32)");
            }
            keys.put(id, new SecretKeySpec(key, "AES"));
        }
        return new DataKeys(keys);
    }

    private static IllegalArgumentException problem(int position, String keyId, String what) {
        return new IllegalArgumentException(VARIABLE + ": pair " + position + (keyId == null ? "" : " (key id '" + keyId + "')")
                + " " + what + "; expected comma-separated keyid:base64key pairs of " + KEY_BYTES + "-byte keys");
    }

    /** Whether any key is configured (then everything written is sealed). */
    public boolean enabled() {
        return !keys.isEmpty();
    }

    /** The id of the key new values are sealed with (the first); throws without keys. */
    public String currentId() {
        if (keys.isEmpty()) {
            throw new IllegalStateException(VARIABLE + " is not set: there is no current key");
        }
        return keys.keySet().iterator().next();
    }

    /** The key {@code id} names, if configured. */
    public Optional<SecretKey> key(String id) {
        return Optional.ofNullable(id == null ? null : keys.get(id));
    }

    /** The configured key ids, the current one first. */
    public List<String> ids() {
        return new ArrayList<>(keys.keySet());
    }

    /** Whether {@code id} has the shape of a key id (safe to show in a message). */
    static boolean isKeyId(String id) {
        return id != null && KEY_ID.matcher(id).matches();
    }

    /** The key ids only. */
    @Override
    public String toString() {
        return keys.isEmpty() ? VARIABLE + " unset" : VARIABLE + " " + ids();
    }
}
