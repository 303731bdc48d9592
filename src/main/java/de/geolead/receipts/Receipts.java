package de.geolead.receipts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.geolead.db.Database;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The signed delivery receipts (table delivery_receipts): one per mail the delivery sends, issued when the mail is
 * claimed for its first SMTP attempt, in the claim's transaction, and reused unchanged by every later attempt.
 * The receipts form one gapless hash chain (seq 1, 2, 3 …, each with the previous receipt's hash) over all mails of
 * all instances: issuing is serialised with a transaction-scoped advisory lock, so concurrent consumers and
 * instances queue for a few milliseconds and never fork or gap the chain (a rolled-back claim takes its seq along).
 *
 * <p>A receipt names ids, the agent (id and company name), hashes and times only, never homeowner data. Its
 * {@code sent_at} is when the mail was first handed to SMTP (the first claim, right before the send).
 */
public final class Receipts implements ReceiptVerifier.Chain {

    public static final int VERSION = 1;
    /** The advisory lock that serialises issuing ('geolrcpt'). */
    static final long CHAIN_LOCK = 0x67656f6c72637074L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database db;
    private final ReceiptKey key;
    private final Clock clock;

    public Receipts(Database db, ReceiptKey key, Clock clock) {
        this.db = db;
        this.key = key;
        this.clock = clock;
    }

    /** A stored receipt: its place in the chain and the file the agent gets ({@code receipt-<distribution id>.json}). */
    public record Issued(long seq, long distributionId, String hash, String file) {
        public String fileName() {
            return fileName(distributionId);
        }

        public byte[] fileBytes() {
            return file.getBytes(StandardCharsets.UTF_8);
        }

        public static String fileName(long distributionId) {
            return "receipt-" + distributionId + ".json";
        }
    }

    /**
     * The receipt of this distribution's mail: the stored one if it has one (a later attempt), else a new one at the
     * end of the chain. Joins the caller's transaction (the claim's); the chain stays locked until that commits.
     */
    public Issued issue(long distributionId, String messageId) {
        return db.inTransaction("Issuing the receipt of distribution " + distributionId, () -> {
            Optional<Issued> stored = find(distributionId);
            if (stored.isPresent()) {
                return stored.get();
            }
            // everything that does not depend on the chain is done before it is locked: the lock is held until the
            // claim commits, and every consumer of every instance queues for it
            db.sql().sql("INSERT INTO receipt_keys (key_id, public_key) VALUES (?, ?) ON CONFLICT (key_id) DO NOTHING")
                    .params(key.keyId(), key.publicKeyBase64()).update();
            ObjectNode receipt = content(distributionId, messageId);
            long leadId = receipt.get("lead_id").asLong();

            db.sql().sql("SELECT pg_advisory_xact_lock(?)").param(CHAIN_LOCK).query((rs, n) -> 1).single();
            stored = find(distributionId);
            if (stored.isPresent()) {
                return stored.get();
            }
            if ("follower".equals(receipt.get("role").asText())) {
                // read under the lock: a head start's receipt committed by another consumer just now is seen
                headStart(receipt, leadId, distributionId);
            }
            Map<String, Object> last = db.sql().sql("SELECT seq, hash FROM delivery_receipts ORDER BY seq DESC LIMIT 1")
                    .query((rs, n) -> Map.<String, Object>of("seq", rs.getLong(1), "hash", rs.getString(2))).optional().orElse(null);
            long seq = last == null ? 1 : (Long) last.get("seq") + 1;
            String prevHash = last == null ? null : (String) last.get("hash");

            receipt.put("seq", seq);
            receipt.put("prev_hash", prevHash);
            receipt.put("key_id", key.keyId());
            byte[] body = CanonicalJson.bytes(receipt);
            String hash = ReceiptKey.sha256Hex(body);
            String signature = key.sign(body);
            db.sql().sql("INSERT INTO delivery_receipts (seq, distribution_id, lead_id, body, hash, prev_hash, signature, key_id) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                    .params(seq, distributionId, leadId, new String(body, StandardCharsets.UTF_8), hash, prevHash, signature, key.keyId())
                    .update();
            return new Issued(seq, distributionId, hash, file(new String(body, StandardCharsets.UTF_8), hash, signature, key.publicKeyBase64()));
        });
    }

    /** The stored receipt of a distribution's mail, as the agent's file. */
    public Optional<Issued> find(long distributionId) {
        return db.sql().sql("SELECT r.seq, r.body, r.hash, r.signature, k.public_key FROM delivery_receipts r "
                        + "JOIN receipt_keys k ON k.key_id = r.key_id WHERE r.distribution_id = ?")
                .param(distributionId)
                .query((rs, n) -> new Issued(rs.getLong("seq"), distributionId, rs.getString("hash"),
                        file(rs.getString("body"), rs.getString("hash"), rs.getString("signature"), rs.getString("public_key"))))
                .optional();
    }

    /** The receipt file: {receipt, hash, signature, public_key}, the receipt exactly as it was signed. */
    static String file(String body, String hash, String signature, String publicKey) {
        return "{\"receipt\":" + body + ",\"hash\":\"" + hash + "\",\"signature\":\"" + signature
                + "\",\"public_key\":\"" + publicKey + "\"}";
    }

    /** What the receipt says about the mail (everything but its place in the chain, the key and a follower's head-start link). */
    private ObjectNode content(long distributionId, String messageId) {
        Map<String, Object> d = db.sql().sql("""
                SELECT d.lead_id, d.customer_id, c.name, d.role, d.kind, p.sha256
                  FROM lead_distributions d
                  JOIN customers c ON c.id = d.customer_id
                  LEFT JOIN lead_pdfs p ON p.lead_id = d.lead_id
                 WHERE d.id = ?
                """).param(distributionId).query((rs, n) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("lead_id", rs.getLong("lead_id"));
                    row.put("customer_id", rs.getLong("customer_id"));
                    row.put("name", rs.getString("name"));
                    row.put("role", rs.getString("role"));
                    row.put("kind", rs.getString("kind"));
                    row.put("sha256", rs.getString("sha256"));
                    return row;
                }).optional().orElseThrow(() -> new IllegalStateException("No distribution " + distributionId));
        long leadId = (Long) d.get("lead_id");
        String role = (String) d.get("role");
        ObjectNode receipt = JSON.createObjectNode();
        receipt.put("version", VERSION);
        receipt.put("distribution_id", distributionId);
        receipt.put("lead_id", leadId);
        receipt.put("pdf_sha256", (String) d.get("sha256"));
        ObjectNode agent = receipt.putObject("agent");
        agent.put("id", (Long) d.get("customer_id"));
        agent.put("name", (String) d.get("name"));
        receipt.put("role", role);
        receipt.put("kind", (String) d.get("kind"));
        receipt.put("sent_at", time(clock.instant()));
        receipt.put("message_id", messageId);
        if ("head_start".equals(role)) {
            // as the mail says it: the followers still to come and when the first of them is scheduled
            Object[] followers = db.sql().sql("SELECT count(*), min(scheduled_for) FROM lead_distributions WHERE lead_id = ? "
                            + "AND role = 'follower' AND status NOT IN ('skipped', 'failed')")
                    .param(leadId).query((rs, n) -> new Object[] {rs.getInt(1), rs.getTimestamp(2)}).single();
            receipt.put("followers", (Integer) followers[0]);
            receipt.put("exclusive_until", followers[1] == null ? null : time(((Timestamp) followers[1]).toInstant()));
        }
        // a follower's link to the head start's receipt is added under the chain's lock (issue)
        return receipt;
    }

    /**
     * A follower's link to the head start: the hash of the receipt of the lead's head-start mail (the first one that
     * has a receipt), or null with the reason (e.g. the head start was skipped and never mailed).
     */
    private void headStart(ObjectNode receipt, long leadId, long distributionId) {
        Optional<String> hash = db.sql().sql("SELECT r.hash FROM delivery_receipts r JOIN lead_distributions d ON d.id = r.distribution_id "
                        + "WHERE d.lead_id = ? AND d.role = 'head_start' AND d.id <> ? ORDER BY r.seq LIMIT 1")
                .params(leadId, distributionId).query(String.class).optional();
        receipt.put("head_start_receipt", hash.orElse(null));
        if (hash.isEmpty()) {
            String reason = db.sql().sql("SELECT id, status FROM lead_distributions WHERE lead_id = ? AND role = 'head_start' AND id <> ? "
                            + "ORDER BY id DESC LIMIT 1")
                    .params(leadId, distributionId)
                    .query((rs, n) -> "head start mail (distribution " + rs.getLong(1) + ") " + rs.getString(2) + ", no receipt")
                    .optional().orElse("the lead has no head start mail");
            receipt.put("head_start_receipt_reason", reason);
        }
    }

    static String time(Instant instant) {
        return TIME.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }

    // ---- the chain as the verifier reads it ----

    @Override
    public Optional<String> hashOf(long seq) {
        return db.sql().sql("SELECT hash FROM delivery_receipts WHERE seq = ?").param(seq).query(String.class).optional();
    }

    @Override
    public Optional<String> publicKeyOf(String keyId) {
        return db.sql().sql("SELECT public_key FROM receipt_keys WHERE key_id = ?").param(keyId).query(String.class).optional();
    }

    public ReceiptKey key() {
        return key;
    }
}
