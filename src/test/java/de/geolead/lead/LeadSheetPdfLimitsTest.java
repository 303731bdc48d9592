package de.geolead.lead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import de.geolead.lead.LeadSheetPdf.LimitExceededException;
import de.geolead.lead.LeadSheetPdf.Limits;
import de.geolead.lead.PdfBombs.Shape;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;

/** Issue 9 item 3: a decompression bomb or a flood of text ends quickly in a clear {@link LimitExceededException}. */
class LeadSheetPdfLimitsTest {

    private static final long GIGABYTE = 1L << 30;

    @Test
    void aGigabyteBombInThePageContentIsRefusedWithinSeconds() {
        byte[] bomb = PdfBombs.whitespace(GIGABYTE, Shape.PAGE_CONTENT);
        assertThat(bomb.length).as("about 1 MB on the wire").isLessThan(2 * 1024 * 1024);

        assertRefusedQuickly(bomb, LeadSheetPdf.Limits.DEFAULT, "PDF content too large");
    }

    @Test
    void aBombInAFormXObjectIsRefusedBeforePdfBoxInflatesItInMemory() {
        assertRefusedQuickly(PdfBombs.whitespace(256L << 20, Shape.FORM_XOBJECT), Limits.DEFAULT, "PDF content too large");
    }

    @Test
    void aFloodOfTextStopsAtTheCharacterLimit() {
        // 24 MB inflated: below the decoded-bytes limit, ~18 million characters of text
        assertRefusedQuickly(PdfBombs.repeatedText(24L << 20, Shape.PAGE_CONTENT), Limits.DEFAULT,
                "PDF text too long: more than " + LeadSheetPdf.MAX_CHARACTERS + " characters");
    }

    @Test
    void manyStreamsThatAreEachSmallEnoughStillAddUpToTheLimit() {
        Limits eightMegabytes = new Limits(LeadSheetPdf.MAX_PAGES, 8L << 20, LeadSheetPdf.MAX_CHARACTERS, LeadSheetPdf.MAX_TIME);

        assertRefusedQuickly(PdfBombs.whitespaceStreams(12, 1L << 20), eightMegabytes,
                "PDF content too large: more than " + (8L << 20) + " bytes decoded");
    }

    @Test
    void theDeadlineIsCheckedWhileInflating() {
        // no byte limit, so only the deadline can stop it: inflating 1 GB takes far longer than 50 ms on any
        // machine (a fast one inflated the 30 MB this test used before within 50 ms), while without a deadline
        // check inside the inflating loop the call would end in a different error
        Limits fiftyMillis = new Limits(LeadSheetPdf.MAX_PAGES, Long.MAX_VALUE, LeadSheetPdf.MAX_CHARACTERS,
                Duration.ofMillis(50));

        assertRefusedQuickly(PdfBombs.whitespace(GIGABYTE, Shape.PAGE_CONTENT), fiftyMillis, "PDF takes longer than 50 ms to read");
    }

    @Test
    void ordinaryLeadSheetsReadAsBefore() throws IOException {
        byte[] sheet = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "97070", "ort", "Würzburg"), 400_000);

        assertThat(LeadSheetPdf.text(sheet)).contains("97070 Würzburg");
    }

    private static void assertRefusedQuickly(byte[] pdf, Limits limits, String message) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> LeadSheetPdf.text(pdf, limits))
                .isInstanceOf(LimitExceededException.class)
                .hasMessageStartingWith(message);
        // generous for a shared CI machine; PDFBox may scan the system fonts on its first use in this JVM
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }
}
