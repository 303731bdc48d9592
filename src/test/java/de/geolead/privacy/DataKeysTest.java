package de.geolead.privacy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataKeysTest {

    static final String K1 = key(1);
    static final String K2 = key(2);

    /** A 32-byte key, base64, as {@code openssl rand -base64 32} prints one. */
    static String key(int seed) {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (seed * 31 + i * 7);
        }
        return Base64.getEncoder().encodeToString(key);
    }

    @Test
    void theFirstKeySealsAndEveryKeyOpens() {
        DataKeys keys = DataKeys.parse(" k2:" + K2 + " , old_k-1:" + K1 + " ");

        assertThat(keys.enabled()).isTrue();
        assertThat(keys.currentId()).isEqualTo("k2");
        assertThat(keys.ids()).containsExactly("k2", "old_k-1");
        assertThat(keys.key("old_k-1")).get().extracting(k -> Base64.getEncoder().encodeToString(k.getEncoded())).isEqualTo(K1);
        assertThat(keys.key("k3")).isEmpty();
        assertThat(keys.key(null)).isEmpty();
    }

    @Test
    void unsetMeansPlain() {
        assertThat(DataKeys.parse("").enabled()).isFalse();
        assertThat(DataKeys.parse("  ").enabled()).isFalse();
        assertThat(DataKeys.parse(null).ids()).isEmpty();
        assertThatThrownBy(() -> DataKeys.none().currentId()).hasMessageContaining("GEOLEAD_DATA_KEYS");
    }

    @Test
    void toStringShowsKeyIdsOnly() {
        assertThat(DataKeys.parse("k2:" + K2 + ",k1:" + K1).toString()).contains("k2", "k1").doesNotContain(K1, K2, K1.substring(0, 8));
    }

    static Stream<Arguments> malformed() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        return Stream.of(
                Arguments.of("k1:" + shortKey, "pair 1 (key id 'k1')", "16 bytes, not 32", shortKey),
                Arguments.of("k1:" + K1 + ",k2:" + K2.replace('A', '-').substring(0, 40) + "*!", "pair 2 (key id 'k2')", "base64", K2.substring(0, 20)),
                Arguments.of(":" + K1, "pair 1", "empty key id", K1),
                Arguments.of("k1:" + K1 + ",k1:" + K2, "pair 2 (key id 'k1')", "repeats a key id", K2),
                Arguments.of(K1, "pair 1", "not keyid:base64key", K1),
                Arguments.of("k1:" + K1 + ",", "pair 2", "is empty", K1),
                // written the wrong way round: the "key id" is key material and is not echoed
                Arguments.of(K1.substring(0, 40) + ":k1", "pair 1", "key id that is not", K1.substring(0, 40)),
                Arguments.of("k1:" + K1 + ",this-id-is-much-longer-than-thirty-two:" + K2, "pair 2", "key id that is not", K2));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("malformed")
    void aMalformedValueNamesTheVariableAndThePairButNeverTheKey(String value, String where, String what, String secret) {
        assertThatThrownBy(() -> DataKeys.parse(value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("GEOLEAD_DATA_KEYS: " + where)
                .hasMessageContaining(what)
                .hasNoCause()
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).doesNotContain(K1.substring(0, 12))
                        .doesNotContain(K2.substring(0, 12)));
    }
}
