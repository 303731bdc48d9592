package de.geolead.subjects;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HomeownerTest {

    @Test
    void aContactMatchesByAnyPhoneFieldInAnySpelling() {
        Homeowner erika = Homeowner.of("(030) 123-45 67", null);
        assertThat(erika.matches(Map.of("$phone", "+49 30 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("telefon", "030/1234567"))).isTrue();
        assertThat(erika.matches(Map.of("Telefon2", "0049301234567"))).isTrue();
        assertThat(erika.matches(Map.of("mobil", "030 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("handy_nummer", "030 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("phone_alt", "030 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("tel_privat", "030 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("festnetz", "030 1234567"))).isTrue();
        assertThat(erika.matches(Map.of("telefonnummern", List.of("0171 2345678", "030 1234567")))).isTrue();
    }

    @Test
    void otherNumbersOtherFieldsAndJunkDoNotMatch() {
        Homeowner erika = Homeowner.of("030 1234567", null);
        assertThat(erika.matches(Map.of("$phone", "030 1234568"))).isFalse();
        assertThat(erika.matches(Map.of("$phone", "+43 30 1234567"))).isFalse();
        assertThat(erika.matches(Map.of("$phone", "1234567"))).isFalse();
        assertThat(erika.matches(Map.of("$phone", "not a number"))).isFalse();
        assertThat(erika.matches(Map.of("$phone", 301234567))).isFalse();
        assertThat(erika.matches(Map.of("kommentar", "030 1234567"))).isFalse();
        assertThat(erika.matches(Map.of("$id", "0301234567"))).isFalse();
        assertThat(erika.matches(Map.of("email", "030 1234567"))).isFalse();
        assertThat(erika.matches(Map.of())).isFalse();
    }

    @Test
    void aContactMatchesByAnyEmailFieldInAnyCase() {
        Homeowner erika = Homeowner.of(null, " Erika.Muster@Example.de ");
        assertThat(erika.matches(Map.of("email", "erika.muster@example.de"))).isTrue();
        assertThat(erika.matches(Map.of("E_Mail", " ERIKA.MUSTER@EXAMPLE.DE"))).isTrue();
        assertThat(erika.matches(Map.of("emailadresse", "Erika.Muster@example.DE"))).isTrue();
        assertThat(erika.matches(Map.of("email", "erika.muster@example.com"))).isFalse();
        assertThat(erika.matches(Map.of("kommentar", "erika.muster@example.de"))).isFalse();
    }

    @Test
    void eitherGivenValueIsEnough() {
        Homeowner both = Homeowner.of("030 1234567", "erika@example.de");
        assertThat(both.matches(Map.of("$phone", "030 1234567", "email", "other@example.de"))).isTrue();
        assertThat(both.matches(Map.of("$phone", "089 1111111", "email", "ERIKA@example.de"))).isTrue();
        assertThat(both.matches(Map.of("$phone", "089 1111111", "email", "other@example.de"))).isFalse();
        assertThat(both.searchedBy()).containsExactly("phone", "email");
    }

    @Test
    void blankCountsAsNotGivenAndOneIsNeeded() {
        assertThat(Homeowner.of("030 1234567", "  ").searchedBy()).containsExactly("phone");
        assertThat(Homeowner.of("", "erika@example.de").searchedBy()).containsExactly("email");
        assertThatThrownBy(() -> Homeowner.of(null, null)).hasMessage("give the homeowner's phone or email (or both)");
        assertThatThrownBy(() -> Homeowner.of(" ", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Homeowner.of("call me", null)).hasMessageStartingWith("the phone number");
        assertThatThrownBy(() -> Homeowner.of(null, "erika")).hasMessageStartingWith("the e-mail address");
    }

    @Test
    void itsTextNeverHoldsTheValues() {
        assertThat(Homeowner.of("030 1234567", "erika@example.de").toString()).isEqualTo("Homeowner[phone, email]");
    }

    @Test
    void fieldNames() {
        assertThat(List.of("$phone", "telefon", "Telefon_2", "mobil", "mobilnummer", "handy", "phone", "tel", "festnetz"))
                .allMatch(Homeowner::isPhoneField);
        assertThat(List.of("$id", "vorname", "plz", "ort", "kommentar", "email", "hotel")).noneMatch(Homeowner::isPhoneField);
        assertThat(List.of("email", "$email", "E-Mail", "e_mail", "emailadresse", "mail")).allMatch(Homeowner::isEmailField);
        assertThat(List.of("$phone", "vorname", "plz")).noneMatch(Homeowner::isEmailField);
    }
}
