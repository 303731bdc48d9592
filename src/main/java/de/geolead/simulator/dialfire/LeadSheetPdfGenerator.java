package de.geolead.simulator.dialfire;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;

/**
 * Realistic "Eigentümer-Lead" sheets as Dialfire attaches them, for tests and the demo sandbox.
 *
 * <p>Field keys: id, datum, anrede, vorname, nachname, strasse, plz, ort, telefon, objektart,
 * wohnflaeche, preis, kommentar. A missing or blank field gets a default, except {@code plz}:
 * without it the address line holds only the place name. The sheet also carries a phone
 * number, a date, amounts and an order number, so PLZ extraction has something to ignore.
 */
public final class LeadSheetPdfGenerator {

    /** Title on top of every sheet. */
    public static final String TITLE = "Eigentümer-Lead";

    private static final float MARGIN = 50;
    private static final float FONT_SIZE = 11;
    private static final float LEADING = 16;
    private static final long NOISE_SEED = 20240512L;

    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("id", "6EU52ECU12345"),
            Map.entry("datum", "12.05.2024"),
            Map.entry("anrede", "Frau"),
            Map.entry("vorname", "Erika"),
            Map.entry("nachname", "Mustermann"),
            Map.entry("strasse", "Musterweg 12"),
            Map.entry("ort", "München"),
            Map.entry("telefon", "089 12345678"),
            Map.entry("objektart", "Einfamilienhaus"),
            Map.entry("wohnflaeche", "145 m²"),
            Map.entry("preis", "450.000 €"),
            Map.entry("kommentar", "Eigentümerin möchte innerhalb von 6 Monaten verkaufen. "
                    + "Rückruf ab 17 Uhr erwünscht. Bad 2019 für 25000 EUR renoviert."));

    private LeadSheetPdfGenerator() {
    }

    /** A one-page A4 lead sheet with the given fields (defaults for missing ones). */
    public static byte[] leadSheet(Map<String, String> fields) {
        return render(fields == null ? Map.of() : fields, 0);
    }

    /**
     * The same sheet, padded to at least {@code minSizeBytes} with an incompressible
     * noise image (fixed seed, so the output is deterministic) on a second page.
     */
    public static byte[] leadSheet(Map<String, String> fields, int minSizeBytes) {
        byte[] pdf = leadSheet(fields);
        if (pdf.length >= minSizeBytes) {
            return pdf;
        }
        // Random RGB pixels compress to about 3 bytes each; grow the image until it is enough.
        int side = (int) Math.ceil(Math.sqrt((minSizeBytes - pdf.length) / 3.0)) + 1;
        while (pdf.length < minSizeBytes) {
            pdf = render(fields == null ? Map.of() : fields, side);
            side += side / 10 + 1;
        }
        return pdf;
    }

    /** Renders the sheet; a positive {@code noiseSide} adds a page with a noise image of that size. */
    private static byte[] render(Map<String, String> fields, int noiseSide) {
        try (PDDocument document = new PDDocument()) {
            document.getDocumentInformation().setTitle(TITLE);
            PDPage page = new PDPage(PDRectangle.A4);
            document.addPage(page);
            // Fonts per document: PDFBox font objects belong to one document at a time.
            PDFont regular = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            PDFont bold = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
            try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                writeLines(content, page, lines(fields), regular, bold);
            }
            if (noiseSide > 0) {
                addNoisePage(document, noiseSide, bold);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            document.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not generate lead sheet PDF", e);
        }
    }

    /** The text lines below the title, in order. */
    private static List<String> lines(Map<String, String> fields) {
        String name = value(fields, "anrede") + " " + value(fields, "vorname") + " " + value(fields, "nachname");
        String plz = fields.get("plz");
        String addressLine = plz == null || plz.isBlank()
                ? value(fields, "ort")
                : plz.strip() + " " + value(fields, "ort");
        return List.of(
                "Auftrag Nr. 40215 - Dialfire-Kampagne Eigentümer",
                "Kontakt-ID: " + value(fields, "id"),
                "Datum: " + value(fields, "datum"),
                "",
                "Name: " + name,
                "Straße: " + value(fields, "strasse"),
                addressLine,
                "Telefon: " + value(fields, "telefon"),
                "",
                "Objektart: " + value(fields, "objektart"),
                "Wohnfläche: " + value(fields, "wohnflaeche"),
                "Kaufpreisvorstellung: " + value(fields, "preis"),
                "Kommentar: " + value(fields, "kommentar"));
    }

    private static void writeLines(PDPageContentStream content, PDPage page, List<String> lines,
            PDFont regular, PDFont bold) throws IOException {
        float width = page.getMediaBox().getWidth() - 2 * MARGIN;
        content.beginText();
        content.newLineAtOffset(MARGIN, page.getMediaBox().getHeight() - MARGIN - 18);
        content.setFont(bold, 18);
        content.showText(TITLE);
        content.setFont(regular, FONT_SIZE);
        content.newLineAtOffset(0, -2 * LEADING);
        for (String line : lines) {
            for (String part : wrap(printable(line, regular), width, regular)) {
                content.showText(part);
                content.newLineAtOffset(0, -LEADING);
            }
        }
        content.endText();
    }

    private static void addNoisePage(PDDocument document, int side, PDFont bold) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(NOISE_SEED);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        PDImageXObject pdImage = LosslessFactory.createFromImage(document, image);
        PDPage page = new PDPage(PDRectangle.A4);
        document.addPage(page);
        float size = page.getMediaBox().getWidth() - 2 * MARGIN;
        float top = page.getMediaBox().getHeight() - MARGIN;
        try (PDPageContentStream content = new PDPageContentStream(document, page)) {
            content.beginText();
            content.setFont(bold, FONT_SIZE);
            content.newLineAtOffset(MARGIN, top - FONT_SIZE);
            content.showText("Anlage: Objektfoto");
            content.endText();
            content.drawImage(pdImage, MARGIN, top - 2 * LEADING - size, size, size);
        }
    }

    /** Splits {@code text} at spaces into lines no wider than {@code width} points. */
    private static List<String> wrap(String text, float width, PDFont font) throws IOException {
        List<String> result = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String candidate = line.length() == 0 ? word : line + " " + word;
            if (line.length() > 0 && font.getStringWidth(candidate) / 1000 * FONT_SIZE > width) {
                result.add(line.toString());
                line.setLength(0);
                line.append(word);
            } else {
                line.setLength(0);
                line.append(candidate);
            }
        }
        result.add(line.toString());
        return result;
    }

    /** Replaces control characters by spaces and characters Helvetica (WinAnsi) cannot show by '?'. */
    private static String printable(String text, PDFont font) {
        StringBuilder result = new StringBuilder();
        text.codePoints().forEach(cp -> {
            String c = Character.toString(cp);
            if (Character.isISOControl(cp)) {
                result.append(' ');
            } else if (canEncode(font, c)) {
                result.append(c);
            } else {
                result.append('?');
            }
        });
        return result.toString();
    }

    private static boolean canEncode(PDFont font, String c) {
        try {
            font.encode(c);
            return true;
        } catch (IllegalArgumentException | IOException e) {
            return false;
        }
    }

    private static String value(Map<String, String> fields, String key) {
        String value = fields.get(key);
        return value == null || value.isBlank() ? DEFAULTS.get(key) : value.strip();
    }
}
