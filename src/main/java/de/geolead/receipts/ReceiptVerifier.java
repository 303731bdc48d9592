package de.geolead.receipts;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.api.ApiProblem;

import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a receipt file ({receipt, hash, signature, public_key}): the signature under the key its {@code key_id}
 * names (trusted are the configured key and the keys in receipt_keys, never the file's own {@code public_key}), the
 * hash against the receipt's canonical bytes, and its place in the chain: the stored receipt with its seq has its
 * hash, and its prev_hash is the stored hash of seq - 1. Without the database ({@link Chain} null) only the
 * signature and hash are checked, against the configured key, and the answer says the chain was not checked.
 */
public final class ReceiptVerifier {

    /** The stored chain and keys (de.geolead.receipts.Receipts on the database). */
    public interface Chain {
        /** The stored hash of the receipt with this seq. */
        Optional<String> hashOf(long seq);

        /** A recorded public key (base64 X.509) by its key id. */
        Optional<String> publicKeyOf(String keyId);
    }

    public enum Result { VALID, INVALID, NOT_A_RECEIPT }

    /** Problems of an INVALID receipt. */
    public static final String ALTERED = "altered";
    public static final String BAD_SIGNATURE = "bad signature";
    public static final String UNKNOWN_KEY = "unknown key";
    public static final String NOT_IN_CHAIN = "not in chain";
    public static final String CHAIN_BROKEN = "chain broken";

    /**
     * The verdict: {@code problems} of an INVALID receipt, {@code detail} one readable line, {@code chainChecked}
     * false when the database was not reachable (signature and hash only).
     */
    public record Verification(Result result, List<String> problems, Long seq, Long distributionId, Long leadId,
                               String hash, String keyId, boolean chainChecked, String detail) {
        public boolean valid() {
            return result == Result.VALID;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final List<String> ID_FIELDS = List.of("distribution_id", "lead_id", "seq");

    private final ReceiptKey configured;
    private final Chain chain;

    /**
     * @param configured the key Geolead signs with (its public key is trusted); null if there is none here
     * @param chain      the stored chain; null = offline (no chain check)
     */
    public ReceiptVerifier(ReceiptKey configured, Chain chain) {
        this.configured = configured;
        this.chain = chain;
    }

    /** Verifies a receipt file's text. */
    public Verification verify(String file) {
        JsonNode envelope;
        try {
            envelope = file == null ? null : JSON.readTree(file);
        } catch (JsonProcessingException e) {
            return notAReceipt("not JSON");
        }
        if (envelope == null || !envelope.isObject()) {
            return notAReceipt("not a JSON object");
        }
        JsonNode receipt = envelope.get("receipt");
        if (receipt == null || !receipt.isObject()) {
            return notAReceipt("no receipt object");
        }
        String missing = missingField(envelope, receipt);
        if (missing != null) {
            return notAReceipt(missing);
        }
        long seq = receipt.get("seq").asLong();
        String keyId = receipt.get("key_id").textValue();
        String claimedHash = envelope.get("hash").textValue();
        byte[] body = CanonicalJson.bytes(receipt);
        String hash = ReceiptKey.sha256Hex(body);

        List<String> problems = new ArrayList<>();
        if (!hash.equals(claimedHash)) {
            problems.add(ALTERED);
        }
        Optional<PublicKey> key = trustedKey(keyId);
        if (key.isEmpty()) {
            problems.add(UNKNOWN_KEY);
        } else if (!ReceiptKey.verifies(key.get(), body, envelope.get("signature").textValue())) {
            problems.add(BAD_SIGNATURE);
        }
        boolean chainChecked = false;
        if (chain != null) {
            try {
                Optional<String> stored = chain.hashOf(seq);
                if (stored.isEmpty() || !stored.get().equals(hash)) {
                    problems.add(NOT_IN_CHAIN);
                }
                JsonNode prev = receipt.get("prev_hash");
                String prevHash = prev.isNull() ? null : prev.textValue();
                Optional<String> storedPrev = seq == 1 ? Optional.empty() : chain.hashOf(seq - 1);
                if (seq == 1 ? prevHash != null : storedPrev.isEmpty() || !storedPrev.get().equals(prevHash)) {
                    problems.add(CHAIN_BROKEN);
                }
                chainChecked = true;
            } catch (RuntimeException e) {
                // the database went away: what the key says still stands
            }
        }
        Long distributionId = receipt.get("distribution_id").asLong();
        Long leadId = receipt.get("lead_id").asLong();
        String detail;
        if (problems.isEmpty()) {
            detail = "receipt " + seq + " (distribution " + distributionId + ", lead " + leadId + ") is valid: signed by key " + keyId
                    + (chainChecked ? ", in the chain" : "; the chain was NOT checked (no database)");
        } else {
            detail = "receipt " + seq + " (distribution " + distributionId + ", lead " + leadId + ") is INVALID: " + String.join(", ", problems)
                    + (chainChecked ? "" : " (the chain was not checked: no database)");
        }
        return new Verification(problems.isEmpty() ? Result.VALID : Result.INVALID, List.copyOf(problems), seq, distributionId, leadId,
                hash, keyId, chainChecked, detail);
    }

    /**
     * For the operations API (POST /api/receipts/verify): the verdict of a receipt (VALID or INVALID), or, for a body
     * that is not a receipt, the API's 400 {@code bad_request} naming why.
     */
    public Verification verifyRequest(String file) {
        Verification verification = verify(file);
        if (verification.result() == Result.NOT_A_RECEIPT) {
            throw ApiProblem.badRequest(verification.detail());
        }
        return verification;
    }

    /** Whether the chain is checked here (a database is at hand). */
    public boolean online() {
        return chain != null;
    }

    private Optional<PublicKey> trustedKey(String keyId) {
        if (configured != null && configured.keyId().equals(keyId)) {
            return Optional.of(configured.publicKey());
        }
        if (chain == null) {
            return Optional.empty();
        }
        Optional<String> recorded;
        try {
            recorded = chain.publicKeyOf(keyId);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        try {
            if (recorded.isPresent()) {
                PublicKey key = ReceiptKey.publicKey(recorded.get());
                // a row whose key does not have that id names no key
                return ReceiptKey.keyIdOf(key).equals(keyId) ? Optional.of(key) : Optional.empty();
            }
        } catch (InvalidKeySpecException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The first field a receipt file must have but does not (with the right type), or null. */
    private static String missingField(JsonNode envelope, JsonNode receipt) {
        for (String field : List.of("hash", "signature")) {
            if (!envelope.path(field).isTextual()) {
                return "no " + field;
            }
        }
        if (!receipt.path("version").isIntegralNumber()) {
            return "no version";
        }
        if (receipt.get("version").asLong() != Receipts.VERSION) {
            return "version " + receipt.get("version").asText() + " is not " + Receipts.VERSION;
        }
        for (String field : ID_FIELDS) {
            if (!receipt.path(field).isIntegralNumber() || receipt.get(field).asLong() < 1) {
                return "no " + field;
            }
        }
        for (String field : List.of("key_id", "sent_at", "role", "kind")) {
            if (!receipt.path(field).isTextual()) {
                return "no " + field;
            }
        }
        if (!receipt.path("agent").isObject()) {
            return "no agent";
        }
        if (!receipt.has("prev_hash") || !(receipt.get("prev_hash").isNull() || receipt.get("prev_hash").isTextual())) {
            return "no prev_hash";
        }
        return null;
    }

    private static Verification notAReceipt(String why) {
        return new Verification(Result.NOT_A_RECEIPT, List.of(), null, null, null, null, null, false, "not a receipt: " + why);
    }
}
