package de.geolead.lead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;

class LeadSheetPdfTest {

    private static final byte[] SHEET = LeadSheetPdfGenerator.leadSheet(Map.of(
            "vorname", "Jürgen", "nachname", "Größer", "strasse", "Schöne Aussicht 5",
            "plz", "97070", "ort", "Würzburg", "kommentar", "Straße mit ä ö ü Ä Ö Ü ß"));

    @Test
    void textRoundTripKeepsUmlauts() throws IOException {
        String text = LeadSheetPdf.text(SHEET);

        assertThat(text)
                .contains("Eigentümer-Lead")
                .contains("Jürgen Größer")
                .contains("Schöne Aussicht 5")
                .contains("97070 Würzburg")
                .contains("ä ö ü Ä Ö Ü ß");
    }

    @Test
    void textIsInReadingOrder() throws IOException {
        String text = LeadSheetPdf.text(SHEET);

        assertThat(text.indexOf("Eigentümer-Lead")).isLessThan(text.indexOf("Kontakt-ID"));
        assertThat(text.indexOf("Kontakt-ID")).isLessThan(text.indexOf("97070 Würzburg"));
        assertThat(text.indexOf("97070 Würzburg")).isLessThan(text.indexOf("Kommentar"));
    }

    @Test
    void textReadsAtMostTwentyPages() throws IOException {
        String text = LeadSheetPdf.text(pdfWithPages(25));

        assertThat(text).contains("Seite 1 ", "Seite 20 ").doesNotContain("Seite 21 ");
    }

    @Test
    void brokenBytesThrowIOException() {
        byte[] garbage = "%PDF-1.7\nthis is not really a PDF\n%%EOF".getBytes(StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> LeadSheetPdf.text(garbage))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Broken PDF");
    }

    @Test
    void truncatedPdfThrowsIOException() {
        byte[] truncated = Arrays.copyOf(SHEET, 40);

        assertThatThrownBy(() -> LeadSheetPdf.text(truncated)).isInstanceOf(IOException.class);
    }

    @Test
    void nonPdfThrowsIOException() {
        assertThatThrownBy(() -> LeadSheetPdf.text("<html>Fehler</html>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Not a PDF");
        assertThatThrownBy(() -> LeadSheetPdf.text(null)).isInstanceOf(IOException.class);
    }

    @Test
    void passwordProtectedPdfThrowsIOException() throws IOException {
        byte[] encrypted = encryptedPdf();

        assertThatThrownBy(() -> LeadSheetPdf.text(encrypted))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("password-protected");
    }

    @Test
    void looksLikePdf() {
        assertThat(LeadSheetPdf.looksLikePdf(SHEET)).isTrue();
        assertThat(LeadSheetPdf.looksLikePdf("%PDF-".getBytes(StandardCharsets.US_ASCII))).isTrue();
        assertThat(LeadSheetPdf.looksLikePdf(withJunkBefore(SHEET, 1019))).isTrue();

        assertThat(LeadSheetPdf.looksLikePdf(withJunkBefore(SHEET, 1020))).isFalse();
        assertThat(LeadSheetPdf.looksLikePdf("%PDF".getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThat(LeadSheetPdf.looksLikePdf("<html>%PD".getBytes(StandardCharsets.US_ASCII))).isFalse();
        assertThat(LeadSheetPdf.looksLikePdf(new byte[0])).isFalse();
        assertThat(LeadSheetPdf.looksLikePdf(null)).isFalse();
    }

    @Test
    void textToleratesBomBeforeHeader() throws IOException {
        byte[] withBom = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, SHEET);

        assertThat(LeadSheetPdf.looksLikePdf(withBom)).isTrue();
        assertThat(LeadSheetPdf.text(withBom)).contains("97070 Würzburg");
    }

    @Test
    void sha256HexOfKnownInputs() {
        assertThat(LeadSheetPdf.sha256Hex("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(LeadSheetPdf.sha256Hex(new byte[0]))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    private static byte[] withJunkBefore(byte[] pdf, int junkBytes) {
        byte[] junk = new byte[junkBytes];
        Arrays.fill(junk, (byte) 'x');
        return concat(junk, pdf);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] result = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, result, first.length, second.length);
        return result;
    }

    private static byte[] pdfWithPages(int pages) throws IOException {
        try (PDDocument document = new PDDocument()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (int i = 1; i <= pages; i++) {
                PDPage page = new PDPage();
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.beginText();
                    content.setFont(font, 12);
                    content.newLineAtOffset(50, 700);
                    content.showText("Seite " + i + " ");
                    content.endText();
                }
            }
            return save(document);
        }
    }

    private static byte[] encryptedPdf() throws IOException {
        try (PDDocument document = new PDDocument()) {
            document.addPage(new PDPage());
            document.protect(new StandardProtectionPolicy("owner-secret", "user-secret", new AccessPermission()));
            return save(document);
        }
    }

    private static byte[] save(PDDocument document) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        document.save(out);
        return out.toByteArray();
    }
}
