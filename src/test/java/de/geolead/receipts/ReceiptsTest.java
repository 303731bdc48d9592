package de.geolead.receipts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.geolead.db.Database;
import de.geolead.receipts.ReceiptVerifier.Result;
import de.geolead.receipts.ReceiptVerifier.Verification;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Issuing receipts into the chain and verifying them, against the real PostgreSQL, without Camel. */
class ReceiptsTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] PDF = "%PDF-1.4 receipt test".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dataDir;
    ReceiptKey key;
    Receipts receipts;
    ReceiptVerifier verifier;

    @BeforeEach
    void setUp() {
        db.reset();
        key = ReceiptKey.load(ReceiptKey.newPrivateKey(), dataDir);
        receipts = new Receipts(new Database(db.dataSource()), key, Clock.systemUTC());
        verifier = new ReceiptVerifier(key, receipts);
    }

    long mail(long agent) {
        return data.distribution(data.lead("10115", "Berlin", PDF), agent, Instant.now());
    }

    static JsonNode receiptOf(Receipts.Issued issued) throws Exception {
        return JSON.readTree(issued.file()).get("receipt");
    }

    @Test
    void aReceiptSaysWhoGotWhichLeadWhenAndVerifies() throws Exception {
        long agent = data.customer("Makler Nord GmbH", "paid");
        long mail = mail(agent);
        long lead = (Long) db.row("SELECT lead_id FROM lead_distributions WHERE id = ?", mail).get("lead_id");

        Receipts.Issued issued = receipts.issue(mail, "<m1@geolead.test>");

        JsonNode receipt = receiptOf(issued);
        assertThat(issued.seq()).isEqualTo(1);
        assertThat(issued.fileName()).isEqualTo("receipt-" + mail + ".json");
        assertThat(receipt.get("version").asInt()).isEqualTo(1);
        assertThat(receipt.get("distribution_id").asLong()).isEqualTo(mail);
        assertThat(receipt.get("lead_id").asLong()).isEqualTo(lead);
        assertThat(receipt.get("pdf_sha256").asText()).isEqualTo(db.row("SELECT sha256 FROM lead_pdfs WHERE lead_id = ?", lead).get("sha256"));
        assertThat(receipt.get("agent").get("id").asLong()).isEqualTo(agent);
        assertThat(receipt.get("agent").get("name").asText()).isEqualTo("Makler Nord GmbH");
        assertThat(receipt.get("role").asText()).isEqualTo("only");
        assertThat(receipt.get("kind").asText()).isEqualTo("planned");
        assertThat(receipt.get("message_id").asText()).isEqualTo("<m1@geolead.test>");
        assertThat(receipt.get("sent_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(receipt.get("prev_hash").isNull()).isTrue();
        assertThat(receipt.get("key_id").asText()).isEqualTo(key.keyId());
        assertThat(receipt.has("followers")).isFalse();
        assertThat(receipt.has("head_start_receipt")).isFalse();
        assertThat(issued.file()).as("no homeowner data").doesNotContain("Erika").doesNotContain("Muster").doesNotContain("+4930123456");
        assertThat(db.row("SELECT public_key FROM receipt_keys WHERE key_id = ?", key.keyId()).get("public_key")).isEqualTo(key.publicKeyBase64());

        Verification verification = verifier.verify(issued.file());
        assertThat(verification.result()).as(verification.detail()).isEqualTo(Result.VALID);
        assertThat(verification.chainChecked()).isTrue();
        assertThat(verification.seq()).isEqualTo(1);
        // a pretty-printed copy is the same receipt
        assertThat(verifier.verify(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(issued.file()))).result())
                .isEqualTo(Result.VALID);
    }

    @Test
    void aSecondIssueForTheSameMailReturnsTheStoredReceiptUnchanged() {
        long mail = mail(data.customer("A", "paid"));
        Receipts.Issued first = receipts.issue(mail, "<m@geolead.test>");
        Receipts.Issued again = new Receipts(new Database(db.dataSource()), key, Clock.offset(Clock.systemUTC(), java.time.Duration.ofHours(1)))
                .issue(mail, "<m@geolead.test>");
        assertThat(again).isEqualTo(first);
        assertThat(db.count("SELECT count(*) FROM delivery_receipts")).isEqualTo(1);
    }

    @Test
    void headStartAndFollower() throws Exception {
        long lead = data.lead("10115", "Berlin", PDF);
        long first = data.customer("Erster", "paid");
        long second = data.customer("Zweiter", "paid");
        long third = data.customer("Dritter", "paid");
        Instant exclusiveUntil = Instant.parse("2030-01-02T03:04:05.678Z");
        long head = data.distribution(lead, first, Instant.now());
        long follower = data.distribution(lead, second, exclusiveUntil);
        long later = data.distribution(lead, third, exclusiveUntil.plusSeconds(3600));
        db.update("UPDATE lead_distributions SET role = 'head_start' WHERE id = ?", head);
        db.update("UPDATE lead_distributions SET role = 'follower' WHERE id IN (?, ?)", follower, later);

        JsonNode headReceipt = receiptOf(receipts.issue(head, "<h@geolead.test>"));
        Receipts.Issued followerIssued = receipts.issue(follower, "<f@geolead.test>");
        JsonNode followerReceipt = receiptOf(followerIssued);

        assertThat(headReceipt.get("role").asText()).isEqualTo("head_start");
        assertThat(headReceipt.get("followers").asInt()).isEqualTo(2);
        assertThat(headReceipt.get("exclusive_until").asText()).isEqualTo("2030-01-02T03:04:05.678Z");
        assertThat(followerReceipt.get("role").asText()).isEqualTo("follower");
        assertThat(followerReceipt.get("head_start_receipt").asText()).isEqualTo(receipts.find(head).orElseThrow().hash());
        assertThat(followerReceipt.get("prev_hash").asText()).isEqualTo(receipts.find(head).orElseThrow().hash());
        assertThat(followerReceipt.has("head_start_receipt_reason")).isFalse();
        assertThat(verifier.verify(followerIssued.file()).result()).isEqualTo(Result.VALID);
    }

    @Test
    void aFollowerWhoseHeadStartWasSkippedSaysWhy() throws Exception {
        long lead = data.lead("10115", "Berlin", PDF);
        long head = data.distribution(lead, data.customer("Erster", "paid"), Instant.now());
        long follower = data.distribution(lead, data.customer("Zweiter", "paid"), Instant.now());
        db.update("UPDATE lead_distributions SET role = 'head_start', status = 'skipped', status_reason = 'agent paused' WHERE id = ?", head);
        db.update("UPDATE lead_distributions SET role = 'follower' WHERE id = ?", follower);

        JsonNode receipt = receiptOf(receipts.issue(follower, "<f@geolead.test>"));

        assertThat(receipt.get("head_start_receipt").isNull()).isTrue();
        assertThat(receipt.get("head_start_receipt_reason").asText()).isEqualTo("head start mail (distribution " + head + ") skipped, no receipt");
    }

    @Test
    void aLongChainVerifiesReceiptByReceipt() {
        long agent = data.customer("A", "paid");
        List<Receipts.Issued> issued = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            issued.add(receipts.issue(mail(agent), "<m" + i + "@geolead.test>"));
        }
        for (int i = 0; i < issued.size(); i++) {
            Verification v = verifier.verify(issued.get(i).file());
            assertThat(v.result()).as(v.detail()).isEqualTo(Result.VALID);
            assertThat(v.seq()).isEqualTo(i + 1);
        }
    }

    @Test
    void concurrentIssuersMakeOneGaplessChain() throws Exception {
        int threads = 4;
        int each = 50;
        long agent = data.customer("A", "paid");
        List<List<Long>> mails = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Long> own = new ArrayList<>();
            for (int i = 0; i < each; i++) {
                own.add(mail(agent));
            }
            mails.add(own);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (List<Long> own : mails) {
                // each thread its own issuer, as each consumer or instance has
                Receipts issuer = new Receipts(new Database(db.dataSource()), key, Clock.systemUTC());
                done.add(pool.submit((Callable<Integer>) () -> {
                    own.forEach(id -> issuer.issue(id, "<" + id + "@geolead.test>"));
                    return own.size();
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(each);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Map<String, Object>> chain = db.rows("SELECT seq, hash, prev_hash, body FROM delivery_receipts ORDER BY seq");
        assertThat(chain).hasSize(threads * each);
        for (int i = 0; i < chain.size(); i++) {
            Map<String, Object> row = chain.get(i);
            assertThat(row.get("seq")).isEqualTo((long) i + 1);
            assertThat(row.get("prev_hash")).isEqualTo(i == 0 ? null : chain.get(i - 1).get("hash"));
            assertThat(ReceiptKey.sha256Hex(((String) row.get("body")).getBytes(StandardCharsets.UTF_8))).isEqualTo(row.get("hash"));
        }
    }

    // ---- tampering ----

    Receipts.Issued twoReceipts() {
        long agent = data.customer("Makler Nord GmbH", "paid");
        receipts.issue(mail(agent), "<a@geolead.test>");
        return receipts.issue(mail(agent), "<b@geolead.test>");
    }

    static ObjectNode envelope(Receipts.Issued issued) throws Exception {
        return (ObjectNode) JSON.readTree(issued.file());
    }

    @Test
    void aChangedFieldIsAltered() throws Exception {
        ObjectNode file = envelope(twoReceipts());
        ((ObjectNode) file.get("receipt").get("agent")).put("name", "Makler Süd GmbH");

        Verification v = verifier.verify(file.toString());

        assertThat(v.result()).isEqualTo(Result.INVALID);
        assertThat(v.problems()).contains(ReceiptVerifier.ALTERED, ReceiptVerifier.BAD_SIGNATURE, ReceiptVerifier.NOT_IN_CHAIN);
    }

    @Test
    void aChangedFieldWithARecomputedHashStillHasABadSignature() throws Exception {
        ObjectNode file = envelope(twoReceipts());
        ((ObjectNode) file.get("receipt")).put("sent_at", "2020-01-01T00:00:00.000Z");
        file.put("hash", ReceiptKey.sha256Hex(CanonicalJson.bytes(file.get("receipt"))));

        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.BAD_SIGNATURE, ReceiptVerifier.NOT_IN_CHAIN);
    }

    @Test
    void aChangedSignatureIsABadSignature() throws Exception {
        Receipts.Issued issued = twoReceipts();
        ObjectNode file = envelope(issued);
        String other = key.sign("something else".getBytes(StandardCharsets.UTF_8));
        file.put("signature", other);

        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.BAD_SIGNATURE);
        file.put("signature", "not base64 at all");
        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.BAD_SIGNATURE);
    }

    @Test
    void aReceiptReSignedWithAnotherKeyIsRefused() throws Exception {
        ReceiptKey forger = ReceiptKey.load(ReceiptKey.newPrivateKey(), dataDir);
        ObjectNode file = envelope(twoReceipts());
        // signed with the forger's key but still naming Geolead's key id
        file.put("signature", forger.sign(CanonicalJson.bytes(file.get("receipt"))));
        file.put("public_key", forger.publicKeyBase64());
        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.BAD_SIGNATURE);

        // naming the forger's key, with a consistent hash: the file's own public key is not trusted
        ((ObjectNode) file.get("receipt")).put("key_id", forger.keyId());
        byte[] body = CanonicalJson.bytes(file.get("receipt"));
        file.put("hash", ReceiptKey.sha256Hex(body));
        file.put("signature", forger.sign(body));
        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.UNKNOWN_KEY, ReceiptVerifier.NOT_IN_CHAIN);
    }

    @Test
    void aWellSignedReceiptWhoseSeqOrPrevHashDoesNotMatchTheChainIsRefused() throws Exception {
        Receipts.Issued second = twoReceipts();
        // signed with Geolead's own key, but not the stored receipt 2 (e.g. made with a stolen key, or the chain was rewritten)
        ObjectNode file = envelope(second);
        ObjectNode receipt = (ObjectNode) file.get("receipt");
        receipt.put("prev_hash", "0".repeat(64));
        byte[] body = CanonicalJson.bytes(receipt);
        file.put("hash", ReceiptKey.sha256Hex(body));
        file.put("signature", key.sign(body));
        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.NOT_IN_CHAIN, ReceiptVerifier.CHAIN_BROKEN);

        receipt.put("prev_hash", second.hash()).put("seq", 7);
        body = CanonicalJson.bytes(receipt);
        file.put("hash", ReceiptKey.sha256Hex(body));
        file.put("signature", key.sign(body));
        assertThat(verifier.verify(file.toString()).problems()).containsExactly(ReceiptVerifier.NOT_IN_CHAIN, ReceiptVerifier.CHAIN_BROKEN);
    }

    @Test
    void aStoredChainChangedBehindTheReceiptIsBroken() {
        Receipts.Issued second = twoReceipts();
        db.update("UPDATE delivery_receipts SET hash = ? WHERE seq = 1", "f".repeat(64));

        assertThat(verifier.verify(second.file()).problems()).containsExactly(ReceiptVerifier.CHAIN_BROKEN);
        db.update("DELETE FROM delivery_receipts WHERE seq = 1");
        assertThat(verifier.verify(second.file()).problems()).containsExactly(ReceiptVerifier.CHAIN_BROKEN);
    }

    @Test
    void offlineOnlyTheSignatureIsCheckedAndTheAnswerSaysSo() {
        Receipts.Issued issued = twoReceipts();
        Verification v = new ReceiptVerifier(key, null).verify(issued.file());
        assertThat(v.result()).isEqualTo(Result.VALID);
        assertThat(v.chainChecked()).isFalse();
        assertThat(v.detail()).contains("chain was NOT checked");
        assertThat(new ReceiptVerifier(ReceiptKey.load(ReceiptKey.newPrivateKey(), dataDir), null).verify(issued.file()).problems())
                .containsExactly(ReceiptVerifier.UNKNOWN_KEY);
    }

    @Test
    void aKeyUsedBeforeIsStillTrustedThroughReceiptKeys() {
        Receipts.Issued old = twoReceipts();
        ReceiptKey rotated = ReceiptKey.load(ReceiptKey.newPrivateKey(), dataDir);
        Receipts afterRotation = new Receipts(new Database(db.dataSource()), rotated, Clock.systemUTC());
        Receipts.Issued next = afterRotation.issue(mail(data.customer("B", "paid")), "<c@geolead.test>");
        ReceiptVerifier now = new ReceiptVerifier(rotated, afterRotation);

        assertThat(now.verify(old.file()).result()).isEqualTo(Result.VALID);
        assertThat(now.verify(next.file()).result()).isEqualTo(Result.VALID);
    }

    @Test
    void whatIsNoReceipt() throws Exception {
        ObjectNode file = envelope(twoReceipts());
        ObjectNode wrongVersion = file.deepCopy();
        ((ObjectNode) wrongVersion.get("receipt")).put("version", 2);
        ObjectNode noSeq = file.deepCopy();
        ((ObjectNode) noSeq.get("receipt")).remove("seq");
        ObjectNode noSignature = file.deepCopy();
        noSignature.remove("signature");
        String duplicateKey = file.toString().replace("{\"receipt\":{", "{\"receipt\":{\"seq\":99,");
        for (String junk : List.of("", "%PDF-1.4", "[1,2]", "{\"a\":1}", "{\"receipt\":\"x\"}", wrongVersion.toString(),
                noSeq.toString(), noSignature.toString(), duplicateKey, "null")) {
            Verification v = verifier.verify(junk);
            assertThat(v.result()).as(junk).isEqualTo(Result.NOT_A_RECEIPT);
            assertThat(v.detail()).startsWith("not a receipt: ");
        }
    }
}
