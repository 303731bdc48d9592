package de.geolead.receipts;

import de.geolead.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReceiptKeyTest {

    @TempDir
    Path dataDir;

    @Test
    void aConfiguredKeySignsAndItsDerivedPublicKeyVerifies() throws Exception {
        var pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        ReceiptKey key = ReceiptKey.load(Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()), dataDir);

        assertThat(key.publicKey().getEncoded()).as("the public key derived from the private one").isEqualTo(pair.getPublic().getEncoded());
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String signature = key.sign(body);
        assertThat(ReceiptKey.verifies(pair.getPublic(), body, signature)).isTrue();
        assertThat(ReceiptKey.verifies(pair.getPublic(), "{\"a\":2}".getBytes(StandardCharsets.UTF_8), signature)).isFalse();
        assertThat(key.keyId()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(pair.getPublic().getEncoded())).substring(0, 16));
        assertThat(Files.exists(dataDir.resolve(ReceiptKey.FILE))).as("no file when the key is configured").isFalse();
    }

    @Test
    void theFastSignatureIsByteForByteTheJdksAndVerifiesWithTheJdk() throws Exception {
        for (int i = 0; i < 20; i++) {
            var pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            ReceiptKey key = ReceiptKey.load(Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()), dataDir);
            byte[] body = ("{\"seq\":" + i + ",\"prev_hash\":\"" + "ab".repeat(i) + "\"}").getBytes(StandardCharsets.UTF_8);

            String signature = key.sign(body);

            assertThat(signature).isEqualTo(key.signWithJdk(body));
            assertThat(ReceiptKey.verifies(pair.getPublic(), body, signature)).isTrue();
        }
    }

    @Test
    void unsetKeyIsGeneratedOnceIntoTheDataDirectoryReadableByTheOwnerOnlyAndReused() throws Exception {
        ReceiptKey first;
        try (LogCapture logs = LogCapture.open()) {
            first = ReceiptKey.load("", dataDir);
            assertThat(logs.linesContaining("Receipt signing key generated")).hasSize(1)
                    .allSatisfy(line -> assertThat(line).contains(dataDir.resolve(ReceiptKey.FILE).toString()).contains("GEOLEAD_RECEIPT_KEY")
                            .doesNotContain(Files.readString(dataDir.resolve(ReceiptKey.FILE)).strip()));
        }
        Path file = dataDir.resolve(ReceiptKey.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (LogCapture logs = LogCapture.open()) {
            ReceiptKey again = ReceiptKey.load("", dataDir);
            assertThat(again.keyId()).isEqualTo(first.keyId());
            assertThat(logs.linesContaining("Receipt signing key generated")).isEmpty();
        }
    }

    @Test
    void instancesStartingTogetherOnOneDataDirectoryEndUpWithTheSameKey() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.List<java.util.concurrent.Future<String>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ids.add(pool.submit(() -> ReceiptKey.load("", dataDir).keyId()));
            }
            java.util.Set<String> distinct = new java.util.HashSet<>();
            for (java.util.concurrent.Future<String> id : ids) {
                distinct.add(id.get());
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        try (var files = Files.list(dataDir)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).containsExactly(ReceiptKey.FILE);
        }
    }

    @Test
    void aMalformedKeyStopsWithOneLineNamingTheVariableNeverTheKey() {
        String[] bad = {"not base64 !!", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}),
                // a valid key of another algorithm
                Base64.getEncoder().encodeToString(rsaKey()),
                // an Ed25519 key cut short
                ReceiptKey.newPrivateKey().substring(0, 40)};
        for (String value : bad) {
            assertThatThrownBy(() -> ReceiptKey.load(value, dataDir))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("GEOLEAD_RECEIPT_KEY is not a base64 PKCS#8 Ed25519 private key")
                    .hasNoCause()
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(value).doesNotContain("\n"));
        }
    }

    @Test
    void newPrivateKeyIsAccepted() {
        String key = ReceiptKey.newPrivateKey();
        assertThat(ReceiptKey.load(key, dataDir).keyId()).hasSize(16).matches("[0-9a-f]{16}");
        assertThat(ReceiptKey.load(key, dataDir).keyId()).isEqualTo(ReceiptKey.load(key, dataDir).keyId());
        assertThat(ReceiptKey.load(ReceiptKey.newPrivateKey(), dataDir).keyId()).isNotEqualTo(ReceiptKey.load(key, dataDir).keyId());
    }

    private static byte[] rsaKey() {
        try {
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(1024);
            return rsa.generateKeyPair().getPrivate().getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
