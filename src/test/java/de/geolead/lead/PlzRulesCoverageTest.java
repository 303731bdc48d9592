package de.geolead.lead;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PlzRulesCoverageTest {

    @Test
    void prefixesAndFullPostalCodesAreValidCoverage() {
        assertThat(PlzRules.isValidCoverage("8")).isTrue();
        assertThat(PlzRules.isValidCoverage("80")).isTrue();
        assertThat(PlzRules.isValidCoverage("8033")).isTrue();
        assertThat(PlzRules.isValidCoverage("80331")).isTrue();
    }

    @Test
    void anythingElseIsNot() {
        assertThat(PlzRules.isValidCoverage(null)).isFalse();
        assertThat(PlzRules.isValidCoverage("")).isFalse();
        assertThat(PlzRules.isValidCoverage("00000")).isFalse();
        assertThat(PlzRules.isValidCoverage("803311")).isFalse();
        assertThat(PlzRules.isValidCoverage("8a")).isFalse();
        assertThat(PlzRules.isValidCoverage(" 80")).isFalse();
        assertThat(PlzRules.isValidCoverage("München")).isFalse();
    }
}
