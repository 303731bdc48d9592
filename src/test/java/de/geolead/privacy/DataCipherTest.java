package de.geolead.privacy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static de.geolead.privacy.DataCipher.Purpose.CONTACT;
import static de.geolead.privacy.DataCipher.Purpose.PDF;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataCipherTest {

    static final byte[] CONTACT_JSON = "{\"vorname\":\"Waltraud\",\"nachname\":\"Quirinius\"}".getBytes(StandardCharsets.UTF_8);

    final DataCipher k1 = new DataCipher(DataKeys.parse("k1:" + DataKeysTest.K1));
    final DataCipher k2First = new DataCipher(DataKeys.parse("k2:" + DataKeysTest.K2 + ",k1:" + DataKeysTest.K1));

    @Test
    void aSealedValueOpensForItsLeadAndColumnAndIsNotPlain() {
        byte[] sealed = k1.seal(7, CONTACT, CONTACT_JSON);

        assertThat(k1.open(7, CONTACT, "k1", sealed)).isEqualTo(CONTACT_JSON);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("Quirinius", "Waltraud");
        // the envelope: version, key id, 12-byte nonce, ciphertext + 16-byte tag
        assertThat(sealed[0]).isEqualTo((byte) 1);
        assertThat(sealed[1]).isEqualTo((byte) 2);
        assertThat(new String(sealed, 2, 2, StandardCharsets.US_ASCII)).isEqualTo("k1");
        assertThat(sealed).hasSize(2 + 2 + 12 + CONTACT_JSON.length + 16);
    }

    @Test
    void everySealHasAFreshNonce() {
        byte[] first = k1.seal(7, PDF, CONTACT_JSON);
        byte[] second = k1.seal(7, PDF, CONTACT_JSON);

        assertThat(Arrays.copyOfRange(first, 4, 16)).isNotEqualTo(Arrays.copyOfRange(second, 4, 16));
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void theFirstKeySealsAndAnOldKeyStillOpens() {
        byte[] old = k1.seal(7, PDF, CONTACT_JSON);
        byte[] sealed = k2First.seal(7, PDF, CONTACT_JSON);

        assertThat(k2First.currentKeyId()).isEqualTo("k2");
        assertThat(new String(sealed, 2, 2, StandardCharsets.US_ASCII)).isEqualTo("k2");
        assertThat(k2First.open(7, PDF, "k1", old)).isEqualTo(CONTACT_JSON);
        assertThat(k2First.open(7, PDF, "k2", sealed)).isEqualTo(CONTACT_JSON);
    }

    @Test
    void aValueCopiedToAnotherLeadOrColumnDoesNotOpen() {
        byte[] sealed = k1.seal(7, CONTACT, CONTACT_JSON);

        assertUnreadable(() -> k1.open(8, CONTACT, "k1", sealed), 8, "does not open with key 'k1'");
        assertUnreadable(() -> k1.open(7, PDF, "k1", sealed), 7, "does not open with key 'k1'");
    }

    @Test
    void aKeyNotConfiguredIsNamed() {
        byte[] sealed = k2First.seal(7, CONTACT, CONTACT_JSON);

        assertUnreadable(() -> k1.open(7, CONTACT, "k2", sealed), 7, "sealed with key 'k2', which GEOLEAD_DATA_KEYS does not hold");
    }

    @Test
    void aDifferentKeyUnderTheSameIdDoesNotOpen() {
        byte[] sealed = k1.seal(7, CONTACT, CONTACT_JSON);
        DataCipher otherK1 = new DataCipher(DataKeys.parse("k1:" + DataKeysTest.K2));

        assertUnreadable(() -> otherK1.open(7, CONTACT, "k1", sealed), 7, "does not open with key 'k1'");
    }

    @Test
    void anyAlteredByteIsDetected() {
        byte[] sealed = k1.seal(7, CONTACT, CONTACT_JSON);
        for (int i = 0; i < sealed.length; i++) {
            byte[] altered = sealed.clone();
            altered[i] ^= 0x01;
            int index = i;
            assertThatThrownBy(() -> k1.open(7, CONTACT, "k1", altered)).as("byte %d altered", index)
                    .isInstanceOf(UnreadableLeadData.class).hasMessageContaining("lead 7");
        }
        assertUnreadable(() -> k1.open(7, CONTACT, "k1", Arrays.copyOf(sealed, sealed.length - 1)), 7, "does not open");
        assertUnreadable(() -> k1.open(7, CONTACT, "k1", Arrays.copyOf(sealed, 10)), 7, "not a sealed value");
        assertUnreadable(() -> k1.open(7, CONTACT, "k1", CONTACT_JSON), 7, "not a sealed value");
        assertUnreadable(() -> k1.open(7, CONTACT, "k1", null), 7, "not a sealed value");
        // the key column and the envelope disagree
        assertUnreadable(() -> k2First.open(7, CONTACT, "k2", sealed), 7, "envelope names another key");
    }

    @Test
    void withoutKeysNothingIsSealed() {
        assertThat(DataCipher.plain().enabled()).isFalse();
        assertThatThrownBy(() -> DataCipher.plain().seal(7, CONTACT, CONTACT_JSON)).hasMessageContaining("GEOLEAD_DATA_KEYS");
    }

    private static void assertUnreadable(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, long leadId, String text) {
        assertThatThrownBy(call).isInstanceOf(UnreadableLeadData.class)
                .hasMessageContaining("lead " + leadId).hasMessageContaining(text)
                .satisfies(e -> {
                    assertThat(((UnreadableLeadData) e).leadId()).isEqualTo(leadId);
                    assertThat(e.getMessage()).doesNotContain("Quirinius", DataKeysTest.K1.substring(0, 12), DataKeysTest.K2.substring(0, 12));
                });
    }
}
