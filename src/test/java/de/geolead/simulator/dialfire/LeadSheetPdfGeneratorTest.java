package de.geolead.simulator.dialfire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import de.geolead.lead.LeadSheetPdf;
import de.geolead.lead.PlzRules;

class LeadSheetPdfGeneratorTest {

    private static final Map<String, String> FIELDS = Map.ofEntries(
            Map.entry("id", "9XK31ABQ77001"),
            Map.entry("datum", "03.06.2024"),
            Map.entry("anrede", "Herr"),
            Map.entry("vorname", "Hans"),
            Map.entry("nachname", "Müller"),
            Map.entry("strasse", "Dorfstraße 3"),
            Map.entry("plz", "01067"),
            Map.entry("ort", "Dresden"),
            Map.entry("telefon", "+49 351 12345 678"),
            Map.entry("objektart", "Eigentumswohnung"),
            Map.entry("wohnflaeche", "78 m²"),
            Map.entry("preis", "285.000 €"),
            Map.entry("kommentar", "Bitte nur vormittags anrufen."));

    @Test
    void textContainsAllFields() throws IOException {
        String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(FIELDS));

        assertThat(text).contains(
                "Eigentümer-Lead",
                "Kontakt-ID: 9XK31ABQ77001",
                "Datum: 03.06.2024",
                "Herr Hans Müller",
                "Straße: Dorfstraße 3",
                "01067 Dresden",
                "Telefon: +49 351 12345 678",
                "Objektart: Eigentumswohnung",
                "Wohnfläche: 78 m²",
                "Kaufpreisvorstellung: 285.000 €",
                "Kommentar: Bitte nur vormittags anrufen.");
    }

    @Test
    void plzIsFoundInGeneratedText() throws IOException {
        String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(FIELDS));

        assertThat(PlzRules.findInText(text)).contains("01067");
    }

    @Test
    void defaultsFillMissingFields() throws IOException {
        String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331")));

        assertThat(text).contains("Kontakt-ID: ", "Datum: ", "Telefon: ", "Kaufpreisvorstellung: ", "80331 München");
        assertThat(PlzRules.findInText(text)).contains("80331");
    }

    @Test
    void withoutPlzOnlyThePlaceIsPrintedAndNothingIsFound() throws IOException {
        Map<String, String> noPlz = new HashMap<>(FIELDS);
        noPlz.remove("plz");
        Map<String, String> blankPlz = new HashMap<>(FIELDS);
        blankPlz.put("plz", "  ");

        for (Map<String, String> fields : java.util.List.of(noPlz, blankPlz)) {
            String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(fields));
            assertThat(text).contains("Dresden").doesNotContain("01067");
            assertThat(PlzRules.findInText(text)).isEmpty();
        }
        assertThat(PlzRules.findInText(LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(Map.of())))).isEmpty();
    }

    @Test
    void unprintableCharactersDoNotBreakGeneration() throws IOException {
        Map<String, String> fields = Map.of("plz", "80331", "kommentar", "Zeile 1\nZeile 2 \u4e2d \uD83D\uDE00 Ende");

        String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(fields));

        assertThat(text).contains("Zeile 1 Zeile 2 ? ? Ende");
        assertThat(PlzRules.findInText(text)).contains("80331");
    }

    @Test
    void longCommentIsWrapped() throws IOException {
        String comment = "Sehr langer Kommentar ".repeat(30).strip();
        String text = LeadSheetPdf.text(LeadSheetPdfGenerator.leadSheet(Map.of("kommentar", comment)));

        assertThat(text.lines().filter(line -> line.contains("Kommentar")).count()).isGreaterThan(3);
    }

    @Test
    void paddedToMinimumSizeAndStillParses() throws IOException {
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(FIELDS, 50_000);

        assertThat(pdf.length).isGreaterThanOrEqualTo(50_000).isLessThan(60_000);
        assertThat(LeadSheetPdf.looksLikePdf(pdf)).isTrue();
        String text = LeadSheetPdf.text(pdf);
        assertThat(text).contains("01067 Dresden", "Anlage: Objektfoto");
        assertThat(PlzRules.findInText(text)).contains("01067");
    }

    @Test
    void paddingIsDeterministic() {
        assertThat(LeadSheetPdfGenerator.leadSheet(FIELDS, 50_000))
                .hasSameSizeAs(LeadSheetPdfGenerator.leadSheet(FIELDS, 50_000));
        assertThat(LeadSheetPdfGenerator.leadSheet(FIELDS, 1_000_000).length).isGreaterThanOrEqualTo(1_000_000);
    }

    @Test
    void smallMinimumSizeAddsNoPage() {
        assertThat(LeadSheetPdfGenerator.leadSheet(FIELDS, 100)).hasSameSizeAs(LeadSheetPdfGenerator.leadSheet(FIELDS));
    }
}
