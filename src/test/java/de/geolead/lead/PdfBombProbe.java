package de.geolead.lead;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@link LeadSheetPdf#text} on one PDF file in its own JVM (started by {@link PdfBombFaultTest}
 * with a small {@code -Xmx}) and prints one line: {@code outcome=<text|limit|unreadable> heapPeakMb=<n> millis=<n>}.
 * Exits 0 whenever {@code text} returned or threw an IOException; an OutOfMemoryError ends it otherwise.
 */
public final class PdfBombProbe {

    private PdfBombProbe() {
    }

    public static void main(String[] args) throws IOException {
        byte[] pdf = Files.readAllBytes(Path.of(args[0]));
        long start = System.nanoTime();
        String outcome;
        try {
            String text = LeadSheetPdf.text(pdf);
            outcome = "text chars=" + text.length();
        } catch (LeadSheetPdf.LimitExceededException e) {
            outcome = "limit message=\"" + e.getMessage() + "\"";
        } catch (IOException e) {
            outcome = "unreadable message=\"" + e.getMessage() + "\"";
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("outcome=" + outcome + " heapPeakMb=" + heapPeakMb() + " millis=" + millis);
    }

    /** Sum of the heap pools' peak usage since the JVM started. */
    static long heapPeakMb() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak / (1024 * 1024);
    }
}
