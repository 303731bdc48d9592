package de.geolead.receipts;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The Ed25519 key the delivery receipts are signed with (JDK "Ed25519"): from {@code GEOLEAD_RECEIPT_KEY} (base64
 * PKCS#8), or, when that is unset, from the file {@value #FILE} in the data directory, generated there on the first
 * start (readable by its owner only) and reused after. Its id ({@link #keyId()}) is the first 16 hex digits of the
 * SHA-256 of the public key's X.509 encoding. No message of this class ever carries the key itself.
 */
public final class ReceiptKey {

    private static final Logger LOG = LoggerFactory.getLogger(ReceiptKey.class);
    /** The generated key's file in the data directory. */
    public static final String FILE = "receipt-key";
    static final String VARIABLE = "GEOLEAD_RECEIPT_KEY";
    private static final String ALGORITHM = "Ed25519";

    private final PrivateKey privateKey;
    /** The same key for BouncyCastle's Ed25519, which signs about 30 times faster than the JDK 17 one (same signatures). */
    private final Ed25519PrivateKeyParameters signingKey;
    private final PublicKey publicKey;
    private final String keyId;

    private ReceiptKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.signingKey = new Ed25519PrivateKeyParameters(((EdECPrivateKey) privateKey).getBytes()
                .orElseThrow(() -> new IllegalStateException("The receipt key has no Ed25519 seed")), 0);
        this.publicKey = publicKey;
        this.keyId = keyIdOf(publicKey);
    }

    /**
     * The configured key ({@code configured} = GEOLEAD_RECEIPT_KEY) or, when it is empty, the one in {@code dataDir}
     * (generated now if there is none: one INFO line says where). A malformed key stops with one line naming
     * GEOLEAD_RECEIPT_KEY (or the file), never the key.
     */
    public static ReceiptKey load(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return parse(configured, VARIABLE);
        }
        Path file = dataDir.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                generateInto(file);
            }
            return parse(Files.readString(file, StandardCharsets.US_ASCII), "the receipt key file " + file);
        } catch (IOException e) {
            throw new IllegalStateException("The receipt key file " + file + " cannot be read or written (" + e.getClass().getSimpleName()
                    + "): set " + VARIABLE + " or fix the data directory");
        }
    }

    /** The key in {@code dataDir}'s file without generating one, or empty if there is none (the commands use it). */
    public static Optional<ReceiptKey> existing(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return Optional.of(parse(configured, VARIABLE));
        }
        return Files.exists(dataDir.resolve(FILE)) ? Optional.of(load("", dataDir)) : Optional.empty();
    }

    /**
     * Writes a new key into {@code file}, readable by its owner only: written to a temporary file first and then linked
     * to its name, which fails if the name exists, so a second process on the same data directory never reads a
     * half-written key and both end up with the same one.
     */
    private static void generateInto(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Path written;
        try {
            written = Files.createTempFile(file.getParent(), FILE, ".new",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            written = Files.createTempFile(file.getParent(), FILE, ".new");
        }
        try {
            Files.writeString(written, newPrivateKey() + "\n", StandardCharsets.US_ASCII);
            try {
                Files.createLink(file, written);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
                if (noLinks instanceof FileAlreadyExistsException exists) {
                    throw exists;
                }
                Files.move(written, file); // a file system without hard links: fails too if the name exists
            }
            LOG.info("Receipt signing key generated into {} (readable by its owner only) and used from now on; several instances "
                    + "must share one key: set {} on all of them (java -jar geolead.jar receipt-key)", file, VARIABLE);
        } catch (FileAlreadyExistsException e) {
            // another process of this data directory was faster: use its key
        } finally {
            Files.deleteIfExists(written);
        }
    }

    /** A new private key as GEOLEAD_RECEIPT_KEY takes it (base64 PKCS#8). */
    public static String newPrivateKey() {
        try {
            return Base64.getEncoder().encodeToString(KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair().getPrivate().getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no Ed25519", e);
        }
    }

    /**
     * Parses a base64 PKCS#8 Ed25519 private key. The JDK derives the public key only while generating a pair, so the
     * pair is generated again from the key's 32 secret bytes (a random source that hands out exactly those).
     */
    static ReceiptKey parse(String base64, String where) {
        String problem = where + " is not a base64 PKCS#8 Ed25519 private key (make one with: java -jar geolead.jar receipt-key)";
        byte[] encoded;
        try {
            encoded = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(problem);
        }
        try {
            PrivateKey key = KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(encoded));
            byte[] seed = ((EdECPrivateKey) key).getBytes().orElseThrow(() -> new InvalidKeySpecException("no key bytes"));
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(255, new FixedBytes(seed));
            KeyPair pair = generator.generateKeyPair();
            if (!java.util.Arrays.equals(((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow(), seed)) {
                throw new InvalidKeySpecException("public key not derivable");
            }
            return new ReceiptKey(key, pair.getPublic());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** A public key from its base64 X.509 encoding (as receipts and receipt_keys carry it). */
    public static PublicKey publicKey(String base64) throws InvalidKeySpecException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no Ed25519", e);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeySpecException("not base64");
        }
    }

    /** The first 16 hex digits of the SHA-256 of the key's X.509 encoding. */
    public static String keyIdOf(PublicKey key) {
        return sha256Hex(key.getEncoded()).substring(0, 16);
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-256", e);
        }
    }

    /**
     * The Ed25519 signature of {@code bytes}, base64. Ed25519 signatures are deterministic (RFC 8032): BouncyCastle's is
     * byte for byte the JDK's ({@link #signWithJdk}), at a fraction of the CPU time; it is made while the receipt chain is
     * locked (Receipts.issue), so its time is every consumer's wait.
     */
    public String sign(byte[] bytes) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, signingKey);
        signer.update(bytes, 0, bytes.length);
        return Base64.getEncoder().encodeToString(signer.generateSignature());
    }

    /** The same signature by the JDK's Ed25519 (the tests compare the two). */
    String signWithJdk(byte[] bytes) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(privateKey);
            signature.update(bytes);
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (NoSuchAlgorithmException | InvalidKeyException | java.security.SignatureException e) {
            throw new IllegalStateException("Signing a receipt failed", e);
        }
    }

    /** Whether {@code signatureBase64} is {@code key}'s Ed25519 signature of {@code bytes}. */
    public static boolean verifies(PublicKey key, byte[] bytes, String signatureBase64) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(bytes);
            return signature.verify(Base64.getDecoder().decode(signatureBase64));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    public String keyId() {
        return keyId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key, base64 X.509, as receipt_keys and the receipt files carry it. */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }

    @Override
    public String toString() {
        return "ReceiptKey " + keyId; // never the key
    }

    /** A random source that hands out the given bytes: lets the JDK derive the public key of a known private key. */
    private static final class FixedBytes extends SecureRandom {
        private final byte[] bytes;

        FixedBytes(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            if (out.length != bytes.length) {
                throw new IllegalStateException("unexpected request for " + out.length + " bytes");
            }
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }
}
