package de.geolead.receipts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.geolead.db.Database;
import de.geolead.delivery.DeliveryCrashTest;
import de.geolead.launcher.Launcher;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receipt commands as an operator runs them: {@code java -jar geolead.jar …} in its own JVM (the launcher), configured
 * through the environment, reading the settings and the database outside Camel. Exit codes and the one line they print.
 */
class ReceiptCommandsTest {

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static String privateKey;
    static ReceiptKey key;
    static Path valid;

    /** What one command run did. */
    record Run(int exit, String out, String err) {
        String line() {
            return out.strip();
        }
    }

    @BeforeAll
    static void receipts() throws IOException {
        db.reset();
        privateKey = ReceiptKey.newPrivateKey();
        key = ReceiptKey.load(privateKey, dir);
        Receipts receipts = new Receipts(new Database(db.dataSource()), key, Clock.systemUTC());
        long agent = data.customer("Makler Kommando", "paid");
        receipts.issue(data.distribution(data.lead("10115", "Berlin"), agent, Instant.now()), "<a@geolead.test>");
        Receipts.Issued second = receipts.issue(data.distribution(data.lead("10115", "Berlin"), agent, Instant.now()), "<b@geolead.test>");
        valid = Files.writeString(dir.resolve(second.fileName()), second.file());
    }

    static Run run(Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", DeliveryCrashTest.classpath(), Launcher.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("GEOLEAD_"));
        builder.environment().put("GEOLEAD_DATA_DIR", dir.resolve("data").toString());
        builder.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Map<String, String> online() {
        return Map.of("GEOLEAD_DB_URL", db.jdbcUrl(), "GEOLEAD_DB_USER", db.user(), "GEOLEAD_DB_PASSWORD", db.password(),
                "GEOLEAD_RECEIPT_KEY", privateKey);
    }

    static Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void validIsExitZeroWithOneLine() throws Exception {
        Run run = run(online(), "verify-receipt", valid.toString());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.line()).startsWith("VALID: receipt 2 (distribution ").contains("in the chain").doesNotContain("\n");
    }

    @Test
    void alteredOrForgedIsExitOne() throws Exception {
        ObjectNode changed = (ObjectNode) JSON.readTree(Files.readString(valid));
        ((ObjectNode) changed.get("receipt").get("agent")).put("name", "Jemand Anderes");
        Run altered = run(online(), "verify-receipt", file("altered.json", changed.toPrettyString()).toString());
        assertThat(altered.exit()).as(altered.toString()).isEqualTo(1);
        assertThat(altered.line()).startsWith("INVALID: receipt 2").contains("altered").doesNotContain("\n");

        // re-signed with a key of one's own: a receipt that does not match the stored chain
        ReceiptKey other = ReceiptKey.load(ReceiptKey.newPrivateKey(), dir);
        ObjectNode forged = (ObjectNode) JSON.readTree(Files.readString(valid));
        ((ObjectNode) forged.get("receipt")).put("key_id", other.keyId()).put("seq", 1).putNull("prev_hash");
        byte[] body = CanonicalJson.bytes(forged.get("receipt"));
        forged.put("hash", ReceiptKey.sha256Hex(body)).put("signature", other.sign(body)).put("public_key", other.publicKeyBase64());
        Run resigned = run(online(), "verify-receipt", file("forged.json", forged.toString()).toString());
        assertThat(resigned.exit()).as(resigned.toString()).isEqualTo(1);
        assertThat(resigned.line()).contains("unknown key").contains("not in chain");
    }

    @Test
    void notAReceiptIsExitTwo() throws Exception {
        for (Path junk : List.of(file("junk.json", "%PDF-1.4 \u0000\u0001"), file("other.json", "{\"receipt\":{\"seq\":1}}"),
                dir.resolve("missing.json"))) {
            Run run = run(online(), "verify-receipt", junk.toString());
            assertThat(run.exit()).as(run.toString()).isEqualTo(2);
            assertThat(run.line()).startsWith("NOT A RECEIPT: ").doesNotContain("\n");
        }
    }

    @Test
    void withoutTheDatabaseTheSignatureIsCheckedAndTheExitCodeSaysTheChainWasNot() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(online());
        env.put("GEOLEAD_DB_URL", "jdbc:postgresql://127.0.0.1:" + RunningApp.freePort() + "/nothing");
        Run run = run(env, "verify-receipt", valid.toString());
        assertThat(run.exit()).as(run.toString()).isEqualTo(3);
        assertThat(run.line()).startsWith("SIGNATURE VALID, CHAIN NOT CHECKED (database not reachable").doesNotContain("\n");

        ObjectNode changed = (ObjectNode) JSON.readTree(Files.readString(valid));
        ((ObjectNode) changed.get("receipt")).put("lead_id", 1);
        Run altered = run(env, "verify-receipt", file("altered-offline.json", changed.toString()).toString());
        assertThat(altered.exit()).as("what the key shows is wrong stays wrong offline").isEqualTo(1);
    }

    @Test
    void theKeyCommands() throws Exception {
        Run publicKey = run(Map.of("GEOLEAD_RECEIPT_KEY", privateKey), "receipt-public-key");
        assertThat(publicKey.exit()).isZero();
        assertThat(publicKey.line()).isEqualTo("key id " + key.keyId() + " public key " + key.publicKeyBase64());
        assertThat(publicKey.out() + publicKey.err()).doesNotContain(privateKey);

        Run newKey = run(Map.of(), "receipt-key");
        assertThat(newKey.exit()).isZero();
        assertThat(ReceiptKey.load(newKey.line(), dir).keyId()).hasSize(16);
        assertThat(newKey.err()).contains("GEOLEAD_RECEIPT_KEY");

        Run bad = run(Map.of("GEOLEAD_RECEIPT_KEY", "c2VjcmV0LWJ1dC1ub3QtYS1rZXk="), "receipt-public-key");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).startsWith("receipt-public-key: GEOLEAD_RECEIPT_KEY is not a base64 PKCS#8 Ed25519 private key")
                .doesNotContain("c2VjcmV0LWJ1dC1ub3QtYS1rZXk=").doesNotContain("\n");
    }

    @Test
    void aMalformedKeyStopsTheApplicationWithOneLineNamingTheVariable() throws Exception {
        String bad = "bm90LWEta2V5LWF0LWFsbA==";
        Map<String, String> env = new java.util.HashMap<>(online());
        env.put("GEOLEAD_RECEIPT_KEY", bad);
        env.put("GEOLEAD_HTTP_PORT", Integer.toString(RunningApp.freePort()));
        env.put("GEOLEAD_MANAGEMENT_PORT", Integer.toString(RunningApp.freePort()));
        env.put("GEOLEAD_HTTP_BIND", "127.0.0.1");
        Run run = run(env);
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        String all = run.out() + run.err();
        assertOneStartLine(all, "Geolead failed to start: GEOLEAD_RECEIPT_KEY is not a base64 PKCS#8 "
                + "Ed25519 private key (make one with: java -jar geolead.jar receipt-key)");
        assertThat(all).doesNotContain(bad);
    }

    /** The same for GEOLEAD_DATA_KEYS: one ERROR line naming the variable, no stack trace, nothing opened, never the key. */
    @Test
    void aMalformedDataKeyStopsTheApplicationWithOneLineNamingTheVariable() throws Exception {
        String shortKey = java.util.Base64.getEncoder().encodeToString(new byte[16]);
        Map<String, String> env = new java.util.HashMap<>(online());
        env.put("GEOLEAD_DATA_KEYS", "k1:" + shortKey);
        env.put("GEOLEAD_HTTP_PORT", Integer.toString(RunningApp.freePort()));
        env.put("GEOLEAD_MANAGEMENT_PORT", Integer.toString(RunningApp.freePort()));
        env.put("GEOLEAD_HTTP_BIND", "127.0.0.1");
        Run run = run(env);
        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        String all = run.out() + run.err();
        assertOneStartLine(all, "Geolead failed to start: GEOLEAD_DATA_KEYS: pair 1 (key id 'k1') holds a key of 16 bytes, not 32");
        assertThat(all).doesNotContain(shortKey).doesNotContain("Database schema is current");
    }

    /** Exactly one ERROR line, the one starting with {@code line}, and no stack trace. */
    static void assertOneStartLine(String all, String line) {
        assertThat(all.lines().filter(l -> l.contains("ERROR")).toList()).as(all).singleElement().asString().contains(line);
        assertThat(all).as("no stack trace").doesNotContain("\tat ").doesNotContain("Caused by");
    }
}
