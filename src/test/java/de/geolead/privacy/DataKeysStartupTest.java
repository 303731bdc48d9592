package de.geolead.privacy;

import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static de.geolead.privacy.EncryptionAtRestTest.NAME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GEOLEAD_DATA_KEYS at start-up: without it Geolead starts, stores plain and says so in one WARN line at every start;
 * a malformed value stops the start before anything is opened, with one message naming the variable and the pair
 * (GeoleadApplication.main logs it as its one line, as for every setting that does not parse) and never the key.
 */
class DataKeysStartupTest {

    @TempDir
    Path dataDir;

    final TestDatabase db = TestDatabase.get();

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    @Test
    void withoutKeysGeoleadStartsStoresPlainAndWarnsOnceAtEveryStart() {
        for (int start = 0; start < 2; start++) {
            try (LogCapture log = LogCapture.open();
                 RunningApp plain = RunningApp.start(dataDir, Map.of("geolead.data.keys", ""))) {
                assertThat(log.lines()).filteredOn(line -> line.contains("GEOLEAD_DATA_KEYS") && !line.contains("Geolead configuration:"))
                        .singleElement().asString().startsWith("WARN ").contains("UNENCRYPTED");
                long lead = EncryptionAtRestTest.sealedLead("", "DF-PLAIN-" + start, "10115", LeadSheetPdfGenerator.leadSheet(Map.of("plz", "10115")));
                assertThat(db.row("SELECT contact::text AS c FROM leads WHERE id = ?", lead).get("c").toString()).contains(NAME);
                assertThat(latin1((byte[]) db.row("SELECT content FROM lead_pdfs WHERE lead_id = ?", lead).get("content"))).startsWith("%PDF");
                assertThat(plain.bean("leadContents", LeadContents.class).contact(lead)).get().extracting(c -> c.get("nachname")).isEqualTo(NAME);
            }
        }
    }

    @Test
    void aMalformedKeyStopsTheStartWithOneLineNamingTheVariableAndNeverTheKey() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        try (LogCapture log = LogCapture.open()) {
            assertThatThrownBy(() -> RunningApp.start(dataDir, Map.of("geolead.data.keys",
                    "k1:" + DataKeysTest.K1 + ",k2:" + shortKey)).close())
                    // GeoleadApplication.main logs "Geolead failed to start: " + this message, and exits
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("GEOLEAD_DATA_KEYS: pair 2 (key id 'k2') holds a key of 16 bytes, not 32 (make one with: "
                                    + "openssl rand -base64 32); expected comma-separated keyid:base64key pairs of 32-byte keys");
            assertThat(log.lines()).as("nothing opened").noneMatch(line -> line.contains("Database schema is current")
                    || line.contains("Embedded Artemis broker started"));
            assertThat(log.linesWithExceptions()).noneMatch(line -> line.contains(shortKey) || line.contains(DataKeysTest.K1.substring(0, 12)));
        }
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
