package de.geolead.lead;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PlzRulesTest {

    // --- isValid ---------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"01001", "01067", "10115", "80331", "99998"})
    void validPlz(String plz) {
        assertThat(PlzRules.isValid(plz)).isTrue();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"00000", "01000", "99999", "1234", "123456", " 80331", "80331 ", "8033a",
            "-8033", "+8033", "８０３３１", "٨٠٣٣١"})
    void invalidPlz(String plz) {
        assertThat(PlzRules.isValid(plz)).isFalse();
    }

    // --- normalize -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"80331", " 80331 ", "\t80331\n", "D-80331", "D 80331", "DE-80331", "DE 80331",
            "d-80331", "de 80331", "\u00A080331\u00A0"})
    void normalizeAcceptsPlainAndCountryPrefixedForms(String raw) {
        assertThat(PlzRules.normalize(raw)).contains("80331");
    }

    @Test
    void normalizeKeepsLeadingZero() {
        assertThat(PlzRules.normalize("01067")).contains("01067");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "80 331", "8033 1", "D80331", "D--80331", "D - 80331", "A-80331",
            "80331 München", "PLZ 80331", "803310", "8033", "00000", "99999", "80331,", "8O331"})
    void normalizeRejectsEverythingElse(String raw) {
        assertThat(PlzRules.normalize(raw)).isEmpty();
    }

    // --- findInText: single lines that contain a PLZ ----------------------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            80331 München                                   | 80331
            PLZ/Ort: 01067 Dresden                          | 01067
            Musterweg 1, 10115 Berlin                       | 10115
            Musterweg 12 80331 München                      | 80331
            Hauptstr. 5a 80331 München                      | 80331
            Am Markt 3, D-06108 Halle (Saale)               | 06108
            06108 Halle (Saale)                             | 06108
            60311 Frankfurt am Main                         | 60311
            15230 Frankfurt (Oder)                          | 15230
            66386 St. Ingbert                               | 66386
            67433 Neustadt a. d. Weinstraße                 | 67433
            88709 Meersburg-Baitenhausen                    | 88709
            97070 Würzburg                                  | 97070
            26122 Oldenburg (Oldb)                          | 26122
            24103 KIEL                                      | 24103
            Anschrift: Lindenallee 7, 50667 Köln            | 50667
            PLZ: 80331                                      | 80331
            PLZ 80331                                       | 80331
            Postleitzahl: 20095                             | 20095
            PLZ und Ort: 20095 Hamburg                      | 20095
            PLZ / Ort: D-20095 Hamburg                      | 20095
            PLZ, Ort: 20095, Hamburg                        | 20095
            Wohnort (PLZ): 04109                            | 04109
            Ort: Leipzig, PLZ 04109.                        | 04109
            """)
    void findsPlzInAddressLine(String line, String expected) {
        assertThat(PlzRules.findInText(line)).contains(expected);
    }

    // --- findInText: lines with five-digit numbers that are no PLZ ---------------------------

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            // phone and fax numbers
            "Tel.: 089 12345678",
            "Tel.: 089 12345 Berlin",
            "Telefon: +49 30 12345 678",
            "+49 30 12345 Berlin",
            "Mobil: 0171/1234567",
            "0171/12345 Anruf",
            "Tel. 030-12345",
            "030-12345 Büro",
            "Fax (089) 12345 Zentrale",
            "Fax: 089 12345-0",
            "Tel 30 12345 Berlin",
            "Telefon: 12345 Rückruf",
            // dates and years
            "12.05.2024",
            "2024-05-12",
            "Datum: 12.05.2024 14:30",
            "Baujahr 1995",
            "Baujahr: 19950 Sanierung",
            // amounts
            "Kaufpreis: 45000 EUR",
            "Kaufpreis: 45000 Verhandlungsbasis",
            "Kaufpreisvorstellung: 45000 Euro",
            "350.000 €",
            "12345,00 €",
            "Betrag 12345.50 Gesamt",
            "€ 45000",
            "€45000",
            "EUR 45000 Anzahlung",
            "Preis 45000€",
            "45000 TEUR",
            "Provision 35000 Euro Netto",
            // areas and percentages
            "Wohnfläche: 12345 m²",
            "12345 m2",
            "12345 qm Grundstück",
            "Grundstücksfläche 12345 Quadratmeter",
            "12345 % Rendite",
            // ids and order numbers
            "Kontakt-ID 6EU52ECU12345",
            "Kontakt-ID: 12345 Eingang",
            "Auftrag Nr. 12345",
            "Auftrag Nr. 12345 Eingang",
            "Auftragsnummer: 12345 Status offen",
            "Kundennr 12345 Neu",
            "ID 12345 Neu",
            "Lead #12345 Neu",
            "ABC12345 Test",
            "12345ABC Test",
            "123456 Test",
            "1234567890",
            "X_12345 Test",
            // a five-digit number without a place name or label
            "80331",
            "Zimmer: 5, Etagen: 2, 80331 m",
            "Eingang 80331 um 14 Uhr",
            "80331 münchen",
            // not a valid PLZ
            "00000 Nirgendwo",
            "99999 Nirgendwo",
            "PLZ: 01000"
    })
    void ignoresOtherNumbers(String line) {
        assertThat(PlzRules.findInText(line)).isEmpty();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "\n\n", "Kein Inhalt"})
    void emptyTextHasNoPlz(String text) {
        assertThat(PlzRules.findInText(text)).isEmpty();
    }

    // --- findInText: choosing between candidates ---------------------------------------------

    @Test
    void prefersLabelledPlzOverEarlierAddressLine() {
        String text = """
                Büro: 10115 Berlin
                PLZ/Ort: 80331 München
                """;
        assertThat(PlzRules.findInText(text)).contains("80331");
    }

    @Test
    void takesFirstAddressLikeCandidateWithoutLabel() {
        String text = """
                Objekt: Musterweg 1, 80331 München
                Makler: 10115 Berlin
                """;
        assertThat(PlzRules.findInText(text)).contains("80331");
    }

    @Test
    void skipsInvalidCandidateAndTakesNextOne() {
        assertThat(PlzRules.findInText("99999 Irgendwo\n80331 München")).contains("80331");
    }

    @Test
    void doesNotJoinPlaceNameAcrossLines() {
        assertThat(PlzRules.findInText("Zimmer 12345\nMünchen")).isEmpty();
    }

    @Test
    void findsPlzAfterPhoneNumbersDatesAndAmountsInLeadSheet() {
        String text = """
                Eigentümer-Lead
                Auftrag Nr. 40215 - Dialfire-Kampagne Eigentümer
                Kontakt-ID: 6EU52ECU12345
                Datum: 12.05.2024   Uhrzeit: 14:35
                Bearbeiter: Max Muster, Tel.: 089 12345678, Fax: 089 12345-99
                Rückruf unter +49 30 12345 678 oder 0171/1234567
                Kaufpreisvorstellung: 450.000 €   Provision: 12345,00 €
                Wohnfläche: 12345 m²   Grundstück: 45000 qm   Baujahr: 1995
                Anzahlung € 45000, Renovierung 25000 EUR
                Name: Frau Erika Mustermann
                Straße: Musterweg 12
                70173 Stuttgart
                Kommentar: Nachbar in 10115 Berlin hat auch Interesse.
                """;
        assertThat(PlzRules.findInText(text)).contains("70173");
    }

    @Test
    void findsLabelledPlzInLeadSheetEvenAfterOtherAddress() {
        String text = """
                Makler-Büro, Friedrichstraße 1, 10117 Berlin, Tel. 030-12345
                Datum 2024-05-12, Auftrag Nr. 40215
                Eigentümer: Herr Hans Müller
                Straße: Dorfstraße 3
                PLZ und Ort: 01067 Dresden
                """;
        assertThat(PlzRules.findInText(text)).contains("01067");
    }

    @Test
    void leadSheetWithoutPlzGivesEmpty() {
        String text = """
                Eigentümer-Lead
                Kontakt-ID: 6EU52ECU12345
                Datum: 12.05.2024
                Straße: Musterweg 12
                München
                Telefon: 089 12345678 / +49 89 12345 678
                Kaufpreisvorstellung: 45000 EUR
                Wohnfläche: 12345 m²
                """;
        assertThat(PlzRules.findInText(text)).isEmpty();
    }

    @Test
    @Timeout(5)
    void longLineWithManyNumbersIsFast() {
        String line = "Fax 089 12345, ".repeat(50_000) + "Musterweg 1, 80331 München";
        assertThat(PlzRules.findInText(line)).contains("80331");
    }

    @Test
    void handlesWindowsLineEndings() {
        assertThat(PlzRules.findInText("Tel.: 089 12345678\r\n80331 München\r\n")).contains("80331");
    }
}
