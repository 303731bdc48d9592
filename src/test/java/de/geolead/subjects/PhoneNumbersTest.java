package de.geolead.subjects;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PhoneNumbersTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "+49301234567", "+49 30 1234567", "+49 30 123 45 67", "+49-30-1234567", "+49 (0)30 1234567", "+49(0)301234567",
            "+49 030 1234567", "0049 30 1234567", "0049301234567", "0049 (0) 30 1234567", "030 1234567", "0301234567",
            "(030) 1234567", "(030) 123-45 67", "030/1234567", "030 / 123 45 67", "030-123 45 67", "030.123.45.67",
            "  030 1234567  ", "030\u00A01234567", "030\t1234567"})
    void everyGermanSpellingOfOneNumberIsTheSame(String spelling) {
        assertThat(PhoneNumbers.normalise(spelling)).isEqualTo("+49301234567");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0171 2345678", "+49 171 2345678", "0049 171 23 45 678", "0171/2345678", "(0171) 234 56 78"})
    void mobileNumbers(String spelling) {
        assertThat(PhoneNumbers.normalise(spelling)).isEqualTo("+491712345678");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+43 1 2345678", "0043 1 2345678", "+43-1-234 56 78", "+43 (1) 2345678"})
    void foreignNumbersKeepTheirCountryCode(String spelling) {
        assertThat(PhoneNumbers.normalise(spelling)).isEqualTo("+4312345678");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+41 44 123 45 67", "0041441234567"})
    void swissNumbers(String spelling) {
        assertThat(PhoneNumbers.normalise(spelling)).isEqualTo("+41441234567");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "abc", "030 CALL-NOW", "0301234567 ext. 5", "030;1234567", "+49+301234567",
            "1234567", "49301234567", "+0301234567", "00 0301234567", "+49 30", "030 12", "+49 30 1234567890123456",
            "0000", "+", "00", "0", "erika@example.de", "030 1234567 oder 0171 2345678"})
    void junkIsRefusedWithAReasonThatDoesNotQuoteIt(String junk) {
        assertThatThrownBy(() -> PhoneNumbers.normalise(junk)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("the phone number");
                    if (junk.strip().length() > 3) {
                        assertThat(e.getMessage()).doesNotContain(junk.strip());
                    }
                });
        assertThat(PhoneNumbers.parse(junk)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void nullAndOverlongInputAreRefused() {
        assertThatThrownBy(() -> PhoneNumbers.normalise(null)).hasMessage("the phone number is empty");
        assertThatThrownBy(() -> PhoneNumbers.normalise("0".repeat(41))).hasMessageContaining("longer than 40");
    }
}
