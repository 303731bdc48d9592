package de.geolead.lead;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDocument;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObjectKey;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.filter.Filter;
import org.apache.pdfbox.filter.FilterFactory;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;

/**
 * Checks and plain text of a lead sheet PDF (PDFBox 3). Reading text is bounded ({@link Limits}): a
 * decompression bomb or a flood of text ends in a {@link LimitExceededException} within seconds and
 * a few MB of heap instead of taking the JVM down.
 */
public final class LeadSheetPdf {

    /** Pages read by {@link #text}; lead sheets have one or two. */
    public static final int MAX_PAGES = 20;

    /** Bytes all streams but images may inflate to together (a lead sheet needs well under 1 MB). */
    public static final long MAX_DECODED_BYTES = 32L * 1024 * 1024;

    /** Characters of text read; the PLZ is near the top of the first page. */
    public static final int MAX_CHARACTERS = 100_000;

    /**
     * Wall time for reading one PDF: a backstop (bombs hit the byte or character limit within a second),
     * generous because PDFBox's first use after start may scan the system fonts for a few seconds.
     */
    public static final Duration MAX_TIME = Duration.ofSeconds(30);

    /** PDFBox's scratch buffers (streams it writes while loading): in memory up to this, then a temp file. */
    private static final long SCRATCH_MAIN_MEMORY_BYTES = 4L * 1024 * 1024;
    private static final long SCRATCH_STORAGE_BYTES = 64L * 1024 * 1024;

    private static final byte[] STREAM_KEYWORD = "stream".getBytes(StandardCharsets.US_ASCII);

    /** Filters only images use; the text stripper never decodes images. */
    private static final Set<COSName> IMAGE_CODECS = Set.of(COSName.DCT_DECODE, COSName.DCT_DECODE_ABBREVIATION,
            COSName.JPX_DECODE, COSName.JBIG2_DECODE, COSName.CCITTFAX_DECODE, COSName.CCITTFAX_DECODE_ABBREVIATION);

    /** The PDF header may be preceded by junk, but must lie within the first 1024 bytes. */
    private static final int HEADER_SEARCH_BYTES = 1024;

    private static final byte[] MAGIC = "%PDF-".getBytes(StandardCharsets.US_ASCII);

    private LeadSheetPdf() {
    }

    /** A PDF that would take more memory, text or time than a lead sheet may. */
    public static final class LimitExceededException extends IOException {
        public LimitExceededException(String message) {
            super(message);
        }
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
     * that lines come out in reading order, within {@link Limits#DEFAULT}.
     *
     * @throws LimitExceededException if the PDF would need more memory, text or time than a lead sheet may
     * @throws IOException if the bytes are not a readable PDF or it needs a password
     */
    public static String text(byte[] pdf) throws IOException {
        return text(pdf, Limits.DEFAULT);
    }

    /**
     * {@link #text(byte[])} within the given limits. Every limit is checked inside the reading thread
     * (while streams are inflated, per content-stream operator and per glyph), so a PDF that breaks one
     * stops at once and leaves nothing running.
     */
    public static String text(byte[] pdf, Limits limits) throws IOException {
        if (!looksLikePdf(pdf)) {
            throw new IOException("Not a PDF: no %PDF- header in the first " + HEADER_SEARCH_BYTES + " bytes");
        }
        Budget budget = new Budget(limits);
        try {
            // before PDFBox sees the file: it inflates object and xref streams in memory while loading
            budget.checkFlateStreams(pdf);
            try (PDDocument document = Loader.loadPDF(pdf, "", null, null,
                    MemoryUsageSetting.setupMixed(SCRATCH_MAIN_MEMORY_BYTES, SCRATCH_STORAGE_BYTES).streamCache)) {
                budget.checkDecodedStreams(document);
                PDFTextStripper stripper = new BoundedTextStripper(budget);
                stripper.setSortByPosition(true);
                stripper.setStartPage(1);
                stripper.setEndPage(limits.pages());
                return stripper.getText(document);
            }
        } catch (LimitExceededException e) {
            throw e;
        } catch (Budget.Exceeded e) {
            throw e.asChecked();
        } catch (InvalidPasswordException e) {
            // PDFBox's messages may quote the file's content: the cause keeps them, the message is generic
            throw new IOException("PDF is password-protected", e);
        } catch (IOException | RuntimeException e) {
            if (budget.exceeded != null) {
                // PDFBox caught our signal somewhere and went on or failed for a follow-up reason
                throw budget.exceeded.asChecked();
            }
            // PDFBox may throw unchecked exceptions on badly broken files as well.
            throw new IOException("Broken PDF, cannot read its text (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /**
     * How much a lead sheet may take: pages read, bytes inflated from its streams (all but images),
     * characters of text, and wall time for the whole {@link #text} call.
     */
    public record Limits(int pages, long decodedBytes, int characters, Duration time) {
        public static final Limits DEFAULT = new Limits(MAX_PAGES, MAX_DECODED_BYTES, MAX_CHARACTERS, MAX_TIME);
    }

    /** Counts what one {@link #text} call has used and stops it at the first limit it breaks. */
    private static final class Budget {

        /** Thrown where PDFBox only lets unchecked exceptions through; turned into a {@link LimitExceededException}. */
        static final class Exceeded extends RuntimeException {
            Exceeded(String message) {
                super(message, null, false, false);
            }

            LimitExceededException asChecked() {
                return new LimitExceededException(getMessage());
            }
        }

        private final Limits limits;
        private final long deadline;
        private long decoded;
        private int characters;
        private volatile Exceeded exceeded;

        Budget(Limits limits) {
            this.limits = limits;
            this.deadline = System.nanoTime() + limits.time().toNanos();
        }

        Exceeded stop(String message) {
            Exceeded e = new Exceeded(message);
            exceeded = e;
            return e;
        }

        void checkTime() {
            if (System.nanoTime() - deadline > 0) {
                throw stop("PDF takes longer than " + limits.time().toMillis() + " ms to read");
            }
        }

        void decoded(long bytes, long limit) {
            decoded += bytes;
            if (decoded > limit) {
                throw stop("PDF content too large: more than " + limit + " bytes decoded");
            }
            checkTime();
        }

        void character(int count) {
            characters += count;
            if (characters > limits.characters()) {
                throw stop("PDF text too long: more than " + limits.characters() + " characters");
            }
        }

        /**
         * Inflates every FlateDecode stream of the raw file into nothing, one at a time, and stops when a
         * single stream would be larger than the decoded-bytes limit. Guards the streams PDFBox inflates in
         * memory while it loads the document (object streams, xref streams).
         */
        void checkFlateStreams(byte[] pdf) {
            byte[] sink = new byte[64 * 1024];
            int at = 0;
            while ((at = indexOf(pdf, STREAM_KEYWORD, at)) >= 0) {
                at += STREAM_KEYWORD.length;
                int data = at;
                if (data < pdf.length && pdf[data] == '\r') {
                    data++;
                }
                if (data < pdf.length && pdf[data] == '\n') {
                    data++;
                }
                Inflater inflater = new Inflater();
                try {
                    inflater.setInput(pdf, data, pdf.length - data);
                    long inflated = 0;
                    while (!inflater.finished() && !inflater.needsInput() && !inflater.needsDictionary()) {
                        inflated += inflater.inflate(sink);
                        if (inflated > limits.decodedBytes()) {
                            throw stop("PDF content too large: a stream inflates to more than " + limits.decodedBytes() + " bytes");
                        }
                        checkTime();
                    }
                } catch (DataFormatException notFlate) {
                    // not (or no longer) zlib data: nothing to guard here
                } finally {
                    inflater.end();
                }
            }
        }

        /**
         * Decodes every stream of the document that text extraction may decode (all but images) through
         * its filters into a counting sink, and stops when they add up to more than the decoded-bytes limit.
         */
        void checkDecodedStreams(PDDocument document) throws IOException {
            COSDocument cos = document.getDocument();
            for (Map.Entry<COSObjectKey, Long> entry : List.copyOf(cos.getXrefTable().entrySet())) {
                checkTime();
                if (entry.getValue() == null || entry.getValue() < 0) {
                    continue; // inside an object stream: never a stream itself
                }
                if (cos.getObjectFromPool(entry.getKey()).getObject() instanceof COSStream stream && !isImage(stream)) {
                    decode(stream);
                }
            }
        }

        private void decode(COSStream stream) throws IOException {
            List<COSName> filters = filterNames(stream.getFilters());
            if (filters.stream().anyMatch(IMAGE_CODECS::contains)) {
                return;
            }
            InputStream in = stream.createRawInputStream();
            try {
                for (int i = 0; i < filters.size(); i++) {
                    Filter filter;
                    try {
                        filter = FilterFactory.INSTANCE.getFilter(filters.get(i));
                    } catch (IOException unknownFilter) {
                        return; // PDFBox cannot decode it either; text extraction will skip or fail on it
                    }
                    CountingSink out = new CountingSink(i < filters.size() - 1);
                    try {
                        filter.decode(in, out, stream, i);
                    } catch (IOException broken) {
                        if (exceeded != null) {
                            throw exceeded;
                        }
                        return; // a broken stream: text extraction decides what to make of it
                    }
                    in.close();
                    in = out.keep == null ? null : new ByteArrayInputStream(out.keep.toByteArray());
                }
                if (filters.isEmpty()) {
                    in.transferTo(new CountingSink(false));
                }
            } finally {
                if (in != null) {
                    in.close();
                }
            }
        }

        /** Counts decoded bytes against the limit; keeps them only when another filter follows. */
        private final class CountingSink extends OutputStream {
            final ByteArrayOutputStream keep;

            CountingSink(boolean keep) {
                this.keep = keep ? new ByteArrayOutputStream() : null;
            }

            @Override
            public void write(int b) {
                decoded(1, limits.decodedBytes());
                if (keep != null) {
                    keep.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                decoded(len, limits.decodedBytes());
                if (keep != null) {
                    keep.write(b, off, len);
                }
            }
        }
    }

    /** Stops at the character and time limits while PDFBox reads the pages. */
    private static final class BoundedTextStripper extends PDFTextStripper {
        private final Budget budget;

        BoundedTextStripper(Budget budget) {
            this.budget = budget;
        }

        @Override
        protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
            budget.checkTime();
            super.processOperator(operator, operands);
        }

        @Override
        protected void processTextPosition(TextPosition text) {
            budget.character(text.getUnicode() == null ? 1 : Math.max(1, text.getUnicode().length()));
            super.processTextPosition(text);
        }
    }

    private static boolean isImage(COSStream stream) {
        return COSName.IMAGE.equals(stream.getCOSName(COSName.SUBTYPE));
    }

    private static List<COSName> filterNames(COSBase filters) {
        if (filters instanceof COSName name) {
            return List.of(name);
        }
        List<COSName> names = new ArrayList<>();
        if (filters instanceof COSArray array) {
            for (COSBase item : array) {
                if (item instanceof COSName name) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
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
