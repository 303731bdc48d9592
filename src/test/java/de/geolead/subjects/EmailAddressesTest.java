package de.geolead.subjects;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmailAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"erika.muster@example.de", "Erika.Muster@Example.DE", "  ERIKA.MUSTER@EXAMPLE.DE ", "\terika.muster@example.de\n"})
    void trimmedAndLowerCased(String spelling) {
        assertThat(EmailAddresses.normalise(spelling)).isEqualTo("erika.muster@example.de");
    }

    @Test
    void plusAddressesAndSubdomainsStayAsTheyAre() {
        assertThat(EmailAddresses.normalise("Erika+Leads@Mail.Example.co.uk")).isEqualTo("erika+leads@mail.example.co.uk");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "erika", "erika@", "@beispiel.de", "erika@example", "erika@@example.de", "erika@ex@ample.de",
            "erika muster@example.de", "erika@example..de", "erika@.example.de", "erika@example.de."})
    void junkIsRefusedWithAReasonThatDoesNotQuoteIt(String junk) {
        assertThatThrownBy(() -> EmailAddresses.normalise(junk)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).startsWith("the e-mail address");
                    if (junk.strip().length() > 3) {
                        assertThat(e.getMessage()).doesNotContain(junk.strip());
                    }
                });
    }

    @Test
    void overlongAddressesAreRefused() {
        assertThatThrownBy(() -> EmailAddresses.normalise("a".repeat(250) + "@example.de")).hasMessageContaining("longer than 254");
    }
}
