package de.geolead.privacy;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Seals and opens one stored value of a lead (its contact JSON or its PDF) with AES-256-GCM under {@link DataKeys}.
 *
 * <p>A sealed value is a small self-describing envelope: a format version byte ({@value #VERSION}), the key id (its
 * length in one byte, then ASCII), a fresh random 12-byte nonce and the ciphertext with its 16-byte tag. The associated
 * data binds it to its place: the envelope's header, what it is ({@link Purpose}) and the lead id, so a sealed value
 * copied to another lead or into the other column does not open, and neither does one with an altered header.
 *
 * <p>Whatever goes wrong opening a value is an {@link UnreadableLeadData} for that lead, naming the lead and the key id,
 * never a value. Thread-safe (a {@link Cipher} per call).
 */
public final class DataCipher {

    /** What is sealed: part of the associated data, and named in messages. */
    public enum Purpose {
        CONTACT("contact", "contact"), PDF("pdf", "lead sheet");

        private final String aad;
        private final String label;

        Purpose(String aad, String label) {
            this.aad = aad;
            this.label = label;
        }
    }

    static final byte VERSION = 1;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private final DataKeys keys;
    private final SecureRandom random = new SecureRandom();

    public DataCipher(DataKeys keys) {
        this.keys = keys;
    }

    /** A cipher without keys: {@link #enabled()} false, values stay plain. */
    public static DataCipher plain() {
        return new DataCipher(DataKeys.none());
    }

    /** Whether new values are sealed (GEOLEAD_DATA_KEYS is set). */
    public boolean enabled() {
        return keys.enabled();
    }

    /** The id of the key {@link #seal} uses. */
    public String currentKeyId() {
        return keys.currentId();
    }

    public DataKeys keys() {
        return keys;
    }

    /** {@code plain} sealed with the current key for lead {@code leadId}; the envelope names the key. */
    public byte[] seal(long leadId, Purpose purpose, byte[] plain) {
        String keyId = keys.currentId();
        byte[] header = header(keyId);
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, keys.key(keyId).orElseThrow(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(header, purpose, leadId));
            byte[] sealed = cipher.doFinal(plain);
            ByteArrayOutputStream envelope = new ByteArrayOutputStream(header.length + NONCE_BYTES + sealed.length);
            envelope.writeBytes(header);
            envelope.writeBytes(nonce);
            envelope.writeBytes(sealed);
            return envelope.toByteArray();
        } catch (GeneralSecurityException e) {
            // the JDK always has AES-GCM; a failure here is no row's fault
            throw new IllegalStateException("Sealing the " + purpose.label + " of lead " + leadId + " failed", e);
        }
    }

    /**
     * Opens {@code envelope}, stored for lead {@code leadId} with {@code keyId} in its key column. Throws
     * {@link UnreadableLeadData} when the key is not configured, the envelope names another key, or the bytes do not
     * open (wrong key, altered, or sealed for another lead or column).
     */
    public byte[] open(long leadId, Purpose purpose, String keyId, byte[] envelope) {
        String what = "The " + purpose.label + " of lead " + leadId;
        String key = DataKeys.isKeyId(keyId) ? "key '" + keyId + "'" : "a key id that is not valid";
        if (envelope == null || envelope.length < 2 || envelope[0] != VERSION) {
            throw new UnreadableLeadData(leadId, what + " (" + key + ") is not a sealed value of a format Geolead knows", null);
        }
        int idLength = envelope[1] & 0xff;
        int bodyStart = 2 + idLength + NONCE_BYTES;
        if (idLength == 0 || envelope.length < bodyStart + TAG_BITS / 8) {
            throw new UnreadableLeadData(leadId, what + " (" + key + ") is not a sealed value of a format Geolead knows", null);
        }
        String envelopeKeyId = new String(envelope, 2, idLength, StandardCharsets.US_ASCII);
        if (!envelopeKeyId.equals(keyId)) {
            throw new UnreadableLeadData(leadId, what + " is stored as sealed with " + key
                    + " but its envelope names another key: the stored bytes were altered", null);
        }
        SecretKey secret = keys.key(keyId).orElseThrow(() -> new UnreadableLeadData(leadId,
                what + " is sealed with " + key + ", which " + DataKeys.VARIABLE + " does not hold", null));
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, envelope, 2 + idLength, NONCE_BYTES));
            cipher.updateAAD(aad(Arrays.copyOfRange(envelope, 0, 2 + idLength), purpose, leadId));
            return cipher.doFinal(envelope, bodyStart, envelope.length - bodyStart);
        } catch (AEADBadTagException e) {
            throw new UnreadableLeadData(leadId, what + " does not open with " + key
                    + ": a different key under that id, or the stored bytes were altered or belong to another lead or column", e);
        } catch (GeneralSecurityException e) {
            throw new UnreadableLeadData(leadId, what + " does not open with " + key + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private static byte[] header(String keyId) {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        byte[] header = new byte[2 + id.length];
        header[0] = VERSION;
        header[1] = (byte) id.length;
        System.arraycopy(id, 0, header, 2, id.length);
        return header;
    }

    private static byte[] aad(byte[] header, Purpose purpose, long leadId) {
        byte[] place = ("|geolead|" + purpose.aad + "|lead " + leadId).getBytes(StandardCharsets.US_ASCII);
        byte[] aad = Arrays.copyOf(header, header.length + place.length);
        System.arraycopy(place, 0, aad, header.length, place.length);
        return aad;
    }
}
