package de.geolead.lead;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What DIALFIRE_CONSENT_FIELD's value must say to count as consent ({@link LeadIntake#CONSENT_VALUES}). */
class ConsentValuesTest {

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "yes", "Yes", "y", "ja", " Ja ", "J", "1", "x", "X", "on", "einverstanden", "Einverstanden"})
    void consent(String value) {
        assertThat(LeadIntake.isConsent(value)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "false", "no", "nein", "n", "0", "off", "-", "vielleicht", "ja bitte", "nicht einverstanden", "2"})
    void noConsent(String value) {
        assertThat(LeadIntake.isConsent(value)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void noValueIsNoConsent() {
        assertThat(LeadIntake.isConsent(null)).isFalse();
    }
}
