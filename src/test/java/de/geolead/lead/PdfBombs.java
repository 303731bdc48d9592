package de.geolead.lead;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.Adler32;
import java.util.zip.Deflater;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;

/**
 * Decompression bombs for tests: a one-page PDF whose FlateDecode content stream inflates to
 * {@code inflatedBytes} (hundreds of MB) while the file stays around 1 MB. Built streaming: one
 * 1 MiB block is deflated once and its compressed bytes are repeated (each block is a complete,
 * byte-aligned set of deflate blocks that only refers back into itself), so building a 1 GB bomb
 * takes about a megabyte of heap and well under a second.
 */
public final class PdfBombs {

    /** Where the bomb sits: directly in the page, or in a form XObject the page draws. */
    public enum Shape { PAGE_CONTENT, FORM_XOBJECT }

    private static final int BLOCK = 1 << 20;

    private PdfBombs() {
    }

    /** Content that is nothing but PDF whitespace (NUL bytes): no operators, only parsing work. */
    public static byte[] whitespace(long inflatedBytes, Shape shape) {
        return bomb("", " ", "", inflatedBytes, shape, (byte) 0);
    }

    /** Content that shows the same short text again and again: text positions pile up. */
    public static byte[] repeatedText(long inflatedBytes, Shape shape) {
        return bomb("BT /F1 10 Tf 50 700 Td 12 TL ", "(Bombe 12345) ' ", " ET", inflatedBytes, shape, (byte) -1);
    }

    /** A page whose contents are {@code count} whitespace streams of {@code inflatedEach} bytes each. */
    public static byte[] whitespaceStreams(int count, long inflatedEach) {
        try (PDDocument document = new PDDocument()) {
            PDPage page = new PDPage();
            document.addPage(page);
            COSArray contents = new COSArray();
            for (int i = 0; i < count; i++) {
                COSStream part = document.getDocument().createCOSStream();
                try (OutputStream raw = part.createRawOutputStream()) {
                    writeZlib(raw, "", " ", "", inflatedEach, (byte) 0);
                }
                part.setItem(COSName.FILTER, COSName.FLATE_DECODE);
                contents.add(part);
            }
            page.getCOSObject().setItem(COSName.CONTENTS, contents);
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bomb(String prefix, String unit, String suffix, long inflatedBytes, Shape shape, byte fill) {
        try (PDDocument document = new PDDocument()) {
            PDPage page = new PDPage();
            document.addPage(page);
            PDResources resources = new PDResources();
            resources.put(COSName.getPDFName("F1"), new PDType1Font(Standard14Fonts.FontName.HELVETICA));
            page.setResources(resources);
            COSStream bomb = document.getDocument().createCOSStream();
            try (OutputStream raw = bomb.createRawOutputStream()) {
                writeZlib(raw, prefix, unit, suffix, inflatedBytes, fill);
            }
            bomb.setItem(COSName.FILTER, COSName.FLATE_DECODE);
            if (shape == Shape.PAGE_CONTENT) {
                page.getCOSObject().setItem(COSName.CONTENTS, bomb);
            } else {
                bomb.setItem(COSName.TYPE, COSName.XOBJECT);
                bomb.setItem(COSName.SUBTYPE, COSName.FORM);
                PDFormXObject form = new PDFormXObject(bomb);
                form.setResources(resources);
                form.setBBox(page.getMediaBox());
                COSName name = resources.add(form);
                COSStream content = document.getDocument().createCOSStream();
                try (OutputStream out = content.createOutputStream(COSName.FLATE_DECODE)) {
                    out.write(("/" + name.getName() + " Do").getBytes(StandardCharsets.US_ASCII));
                }
                page.getCOSObject().setItem(COSName.CONTENTS, content);
            }
            return save(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] save(PDDocument document) throws IOException {
        ByteArrayOutputStream pdf = new ByteArrayOutputStream();
        document.save(pdf);
        return pdf.toByteArray();
    }

    /** zlib: header, prefix, N × the deflated 1 MiB block of {@code unit}s, suffix (final), Adler-32. */
    private static void writeZlib(OutputStream out, String prefix, String unit, String suffix, long inflatedBytes, byte fill)
            throws IOException {
        byte[] block = block(unit, fill);
        byte[] head = prefix.getBytes(StandardCharsets.US_ASCII);
        byte[] tail = suffix.getBytes(StandardCharsets.US_ASCII);
        Adler32 adler = new Adler32();
        out.write(new byte[] {0x78, (byte) 0xDA});
        out.write(deflate(head, false));
        adler.update(head);
        byte[] deflatedBlock = deflate(block, false);
        for (long written = 0; written < inflatedBytes; written += block.length) {
            out.write(deflatedBlock);
            adler.update(block);
        }
        out.write(deflate(tail, true));
        adler.update(tail);
        long sum = adler.getValue();
        out.write(new byte[] {(byte) (sum >>> 24), (byte) (sum >>> 16), (byte) (sum >>> 8), (byte) sum});
    }

    private static byte[] block(String unit, byte fill) {
        if (fill != -1) {
            byte[] zeros = new byte[BLOCK];
            java.util.Arrays.fill(zeros, fill);
            return zeros;
        }
        byte[] one = unit.getBytes(StandardCharsets.US_ASCII);
        byte[] block = new byte[BLOCK - BLOCK % one.length];
        for (int i = 0; i < block.length; i += one.length) {
            System.arraycopy(one, 0, block, i, one.length);
        }
        return block;
    }

    /** Raw deflate of {@code data} with a fresh dictionary, ending byte-aligned (sync flush) or final. */
    private static byte[] deflate(byte[] data, boolean last) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        deflater.setInput(data);
        if (last) {
            deflater.finish();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (true) {
            int n = last ? deflater.deflate(buffer) : deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
            out.write(buffer, 0, n);
            if (last ? deflater.finished() : n < buffer.length && deflater.needsInput()) {
                break;
            }
        }
        deflater.end();
        return out.toByteArray();
    }
}
