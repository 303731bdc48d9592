package de.geolead.lead;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;

/** Checks and plain text of a lead sheet PDF (PDFBox 3). */
public final class LeadSheetPdf {

    /** Pages read by {@link #text}; lead sheets have one or two. */
    public static final int MAX_PAGES = 20;

    /** The PDF header may be preceded by junk, but must lie within the first 1024 bytes. */
    private static final int HEADER_SEARCH_BYTES = 1024;

    private static final byte[] MAGIC = "%PDF-".getBytes(StandardCharsets.US_ASCII);

    private LeadSheetPdf() {
    }

    /**
     * True if the first 1024 bytes contain the PDF header {@code %PDF-}. Like PDF readers,
     * this tolerates junk (e.g. a BOM) before the header; it does not check the rest of the file.
     */
    public static boolean looksLikePdf(byte[] bytes) {
        if (bytes == null) {
            return false;
        }
        int lastStart = Math.min(bytes.length, HEADER_SEARCH_BYTES) - MAGIC.length;
        for (int start = 0; start <= lastStart; start++) {
            if (startsWithMagicAt(bytes, start)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Plain text of the first {@value #MAX_PAGES} pages, sorted by position on the page so
     * that lines come out in reading order.
     *
     * @throws IOException if the bytes are not a readable PDF or it needs a password
     */
    public static String text(byte[] pdf) throws IOException {
        if (!looksLikePdf(pdf)) {
            throw new IOException("Not a PDF: no %PDF- header in the first " + HEADER_SEARCH_BYTES + " bytes");
        }
        try (PDDocument document = Loader.loadPDF(pdf)) {
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setSortByPosition(true);
            stripper.setStartPage(1);
            stripper.setEndPage(MAX_PAGES);
            return stripper.getText(document);
        } catch (InvalidPasswordException e) {
            throw new IOException("PDF is password-protected: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            // PDFBox may throw unchecked exceptions on badly broken files as well.
            throw new IOException("Broken PDF, cannot read its text: " + e.getMessage(), e);
        }
    }

    /** Lower-case hex SHA-256 of {@code bytes}, 64 characters. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static boolean startsWithMagicAt(byte[] bytes, int start) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[start + i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }
}
