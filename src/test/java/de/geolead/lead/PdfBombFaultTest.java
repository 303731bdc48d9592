package de.geolead.lead;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import de.geolead.lead.PdfBombs.Shape;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;

/**
 * Issue 9 item 3 under the production heap: each ~1 MB bomb that inflates to 1 GB is read by
 * {@link LeadSheetPdf#text} in a child JVM with {@code -Xmx512m} ({@link PdfBombProbe}). The child must
 * end normally with the limit outcome (before the fix it died of OutOfMemoryError after 4–23 s).
 */
@Tag("faults")
class PdfBombFaultTest {

    private static final long GIGABYTE = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void gigabyteBombsEndInTheLimitUnderXmx512m() throws Exception {
        Map<String, byte[]> bombs = Map.of(
                "text-flood-in-page", PdfBombs.repeatedText(GIGABYTE, Shape.PAGE_CONTENT),
                "whitespace-in-form-xobject", PdfBombs.whitespace(GIGABYTE, Shape.FORM_XOBJECT));
        for (Map.Entry<String, byte[]> bomb : bombs.entrySet()) {
            String line = probe(bomb.getKey(), bomb.getValue());

            assertThat(line).as(bomb.getKey()).startsWith("outcome=limit message=\"PDF content too large");
            System.out.println("PDF bomb " + bomb.getKey() + " (" + bomb.getValue().length + " bytes) under -Xmx512m: " + line);
        }
    }

    @Test
    void anOrdinaryLeadSheetReadsUnderXmx512m() throws Exception {
        String line = probe("sheet", LeadSheetPdfGenerator.leadSheet(Map.of("plz", "97070", "ort", "Würzburg")));

        assertThat(line).startsWith("outcome=text chars=");
    }

    /** Runs the probe on the PDF in a child JVM with -Xmx512m and returns its one output line. */
    private String probe(String name, byte[] pdf) throws IOException, InterruptedException {
        Path file = Files.write(dir.resolve(name + ".pdf"), pdf);
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(List.of(java.toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                PdfBombProbe.class.getName(), file.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .start();
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child JVM ends").isTrue();
        } finally {
            child.destroyForcibly();
        }
        String output = Files.readString(dir.resolve(name + ".out"), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as("child exit code; output:%n%s", output).isZero();
        return output.lines().filter(l -> l.startsWith("outcome=")).findFirst().orElse(output);
    }
}
