package de.geolead.privacy;

import de.geolead.config.DataKeysCommand;
import de.geolead.config.GeoleadSettings;
import de.geolead.db.Database;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static de.geolead.privacy.EncryptionAtRestTest.NAME;
import static de.geolead.privacy.EncryptionAtRestTest.sealedLead;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rotate-data-keys} against real PostgreSQL: k1 → "k2,k1" reseals every row (plain ones too) under k2, after
 * which k2 alone reads everything; a second run changes nothing; rows under a key that is gone are counted unreadable
 * with their lead ids and left as they are (exit 1); bad usage and configuration exit 2 without printing a key.
 */
class DataKeyRotationTest {

    static final String K1 = "k1:" + DataKeysTest.K1;
    static final String K2 = "k2:" + DataKeysTest.K2;
    static final String GONE = "gone:" + DataKeysTest.key(3);

    final TestDatabase db = TestDatabase.get();
    final TestData data = new TestData(db);
    final Database database = new Database(db.dataSource());
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void cleanSlate() {
        db.reset();
    }

    @Test
    void k1ToK2ResealsEveryRowAndK2AloneThenReadsEverything() {
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "10115", "ort", "Berlin"));
        List<Long> sealedK1 = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            sealedK1.add(sealedLead(K1, "DF-K1-" + i, "10115", pdf));
        }
        long plain = data.lead("10115", "Berlin");
        long plainWithoutPdf = sealedLead("", "DF-PLAIN", "10115", null);
        long erased = sealedLead(K1, "DF-ERASED", "10115", pdf);
        new Anonymiser(database).erase(erased, Anonymiser.REQUEST);
        Map<Long, Map<String, Object>> contactsBefore = contacts(K1);
        Map<Long, byte[]> pdfsBefore = pdfs(K1);

        int exit = command(K2 + "," + K1);

        assertThat(exit).as(text(err)).isZero();
        assertThat(text(out)).contains("sealing with key 'k2'", "contacts:    9 resealed, 0 already under 'k2'",
                "lead sheets: 8 resealed, 0 already under 'k2'", "unreadable:  0 lead(s)", "done: every contact and lead sheet is under key 'k2'")
                .doesNotContain(DataKeysTest.K1.substring(0, 12), DataKeysTest.K2.substring(0, 12));
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_at IS NULL AND contact_key IS DISTINCT FROM 'k2'")).isZero();
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_at IS NULL AND contact::text <> '{}'")).isZero();
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE content_key IS DISTINCT FROM 'k2'")).isZero();
        assertThat(db.row("SELECT contact_key, contact_sealed FROM leads WHERE id = ?", erased)).containsEntry("contact_key", null)
                .containsEntry("contact_sealed", null);
        // k2 alone: every contact and PDF as it was, byte for byte; the plain ones too
        assertThat(contacts(K2)).isEqualTo(contactsBefore);
        assertThat(pdfs(K2)).containsOnlyKeys(pdfsBefore.keySet());
        pdfsBefore.forEach((lead, bytes) -> assertThat(pdfs(K2).get(lead)).as("PDF of lead %d", lead).isEqualTo(bytes));
        assertThat(contactsBefore.get(plain)).containsEntry("vorname", "Erika");
        assertThat(contactsBefore.get(plainWithoutPdf)).containsEntry("nachname", NAME);
        assertThat(contactsBefore.get(sealedK1.get(0))).containsEntry("nachname", NAME);
        // the sha256 and size stay those of the plain PDF
        pdfs(K2).forEach((lead, bytes) -> assertThat(db.row("SELECT sha256, size_bytes FROM lead_pdfs WHERE lead_id = ?", lead))
                .containsEntry("sha256", de.geolead.lead.LeadSheetPdf.sha256Hex(bytes)).containsEntry("size_bytes", bytes.length));

        out.reset();
        assertThat(command(K2 + "," + K1)).as("idempotent").isZero();
        assertThat(text(out)).contains("contacts:    0 resealed, 9 already under 'k2'", "lead sheets: 0 resealed, 8 already under 'k2'");
        assertThat(command(K2)).as("k1 no longer needed").isZero();
    }

    @Test
    void rowsUnderAKeyThatIsGoneAreCountedUnreadableWithTheirLeadIdsAndLeftAsTheyAre() {
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331", "ort", "Muenchen"));
        long readable = sealedLead(K1, "DF-OK", "80331", pdf);
        long lost = sealedLead(GONE, "DF-LOST", "80331", pdf);
        long alsoLost = sealedLead(GONE, "DF-LOST-2", "80331", pdf);
        Map<String, Object> lostBefore = db.row("SELECT encode(contact_sealed, 'hex') AS sealed, contact_key FROM leads WHERE id = ?", lost);

        int exit = command(K2 + "," + K1);

        assertThat(exit).isEqualTo(1);
        assertThat(text(out)).contains("contacts:    1 resealed", "lead sheets: 1 resealed",
                "unreadable:  2 lead(s): " + lost + ", " + alsoLost, "4 row(s) are not under key 'k2'");
        assertThat(db.row("SELECT encode(contact_sealed, 'hex') AS sealed, contact_key FROM leads WHERE id = ?", lost)).isEqualTo(lostBefore);
        assertThat(db.row("SELECT contact_key FROM leads WHERE id = ?", readable).get("contact_key")).isEqualTo("k2");

        // with the lost key back (last), the next run finishes the job
        out.reset();
        assertThat(command(K2 + "," + K1 + "," + GONE)).isZero();
        assertThat(text(out)).contains("contacts:    2 resealed, 1 already under 'k2'", "unreadable:  0 lead(s)");
    }

    /** As {@code java -jar geolead.jar rotate-data-keys} runs it: settings from application.properties, -D and the environment. */
    @Test
    void theCommandReadsItsSettingsAsAStartDoes() {
        long lead = sealedLead(K1, "DF-CMD", "10115", null);
        Map<String, String> properties = settings(K2 + "," + K1);
        properties.forEach(System::setProperty);
        try {
            assertThat(DataKeysCommand.command(new String[0], new PrintStream(out, true), new PrintStream(err, true))).as(text(err)).isZero();
        } finally {
            properties.keySet().forEach(System::clearProperty);
        }
        assertThat(text(out)).contains("sealing with key 'k2', reading with [k2, k1]", "contacts:    1 resealed");
        assertThat(db.row("SELECT contact_key FROM leads WHERE id = ?", lead).get("contact_key")).isEqualTo("k2");
    }

    /** An instance stores a newer contact between the rotation's read and its write: the newer one stays. */
    @Test
    void aContactChangedAfterItWasReadIsNotOverwrittenWithTheOldOne() {
        long sealed = sealedLead(K1, "DF-RACE", "10115", null);
        long plain = sealedLead("", "DF-RACE-PLAIN", "10115", null);
        DataKeyRotation rotation = new DataKeyRotation(database, new DataCipher(DataKeys.parse(K2 + "," + K1)), DataKeyRotation.BATCH);
        DataKeyRotation.Contact staleSealed = read(sealed);
        DataKeyRotation.Contact stalePlain = read(plain);

        // the import refreshes both leads meanwhile (an instance still on "k1" seals with k1, one without keys stores plain)
        db.update("UPDATE leads SET dialfire_version = 'V0' WHERE id IN (?, ?)", sealed, plain);
        sealedLead(K1, "DF-RACE", "10115", null);
        db.update("UPDATE leads SET contact = '{\"nachname\":\"Neu\"}'::jsonb WHERE id = ?", plain);
        Map<String, Object> newer = db.row("SELECT encode(contact_sealed, 'hex') AS sealed, contact_key FROM leads WHERE id = ?", sealed);

        assertThat(rotation.resealContact(staleSealed, "{\"nachname\":\"Alt\"}")).isFalse();
        assertThat(rotation.resealContact(stalePlain, "{\"nachname\":\"Alt\"}")).isFalse();
        assertThat(db.row("SELECT encode(contact_sealed, 'hex') AS sealed, contact_key FROM leads WHERE id = ?", sealed)).isEqualTo(newer);
        assertThat(db.row("SELECT contact::text AS c, contact_key FROM leads WHERE id = ?", plain))
                .containsEntry("c", "{\"nachname\": \"Neu\"}").containsEntry("contact_key", null);

        // a run reads them again and reseals what is there now
        assertThat(rotation.run().exitCode()).isZero();
        assertThat(contacts(K2).get(plain)).containsEntry("nachname", "Neu");
        assertThat(contacts(K2).get(sealed)).containsEntry("nachname", NAME);
    }

    private DataKeyRotation.Contact read(long leadId) {
        Map<String, Object> row = db.row("SELECT contact::text AS c, contact_sealed, contact_key FROM leads WHERE id = ?", leadId);
        return new DataKeyRotation.Contact(leadId, (String) row.get("c"), (byte[]) row.get("contact_sealed"), (String) row.get("contact_key"));
    }

    @Test
    void badUsageAndConfigurationExitWith2AndNeverPrintAKey() {
        assertThat(DataKeysCommand.command(new String[] {"--now"}, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
        assertThat(text(err)).contains("usage: java -jar geolead.jar rotate-data-keys");

        err.reset();
        assertThat(command("")).isEqualTo(2);
        assertThat(text(err)).contains("GEOLEAD_DATA_KEYS is not set");

        err.reset();
        String bad = DataKeysTest.K2.substring(0, 30);
        assertThat(command(K1 + ",k2:" + bad)).isEqualTo(2);
        assertThat(text(err)).contains("GEOLEAD_DATA_KEYS: pair 2 (key id 'k2')").doesNotContain(bad, DataKeysTest.K1.substring(0, 12));

        err.reset();
        Map<String, String> noDatabase = settings(K2);
        noDatabase.put("geolead.db.url", "jdbc:postgresql://127.0.0.1:1/nothing");
        assertThat(DataKeysCommand.command(GeoleadSettings.from(noDatabase::get), new PrintStream(out), new PrintStream(err))).isEqualTo(2);
        assertThat(text(err)).startsWith("rotate-data-keys: ").doesNotContain(DataKeysTest.K2.substring(0, 12));
        assertThat(text(out)).isEmpty();
    }

    /** Without GEOLEAD_DB_URL and without an embedded database in the data directory there is nothing to rotate: exit 2. */
    @Test
    void noEmbeddedDatabaseYetIsRefusedWithTheReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dataDir) {
        Map<String, String> embedded = new HashMap<>();
        embedded.put("geolead.data.dir", dataDir.toString());
        embedded.put("geolead.data.keys", K2);

        assertThat(DataKeysCommand.command(GeoleadSettings.from(embedded::get), new PrintStream(out), new PrintStream(err))).isEqualTo(2);
        assertThat(text(err)).contains("no database", dataDir.resolve("postgres").toString());
    }

    /** A database whose schema is older than this jar (migrations pending) is not touched: exit 2 with the reason. */
    @Test
    void aSchemaThatIsNotCurrentIsRefused() {
        db.update("DROP SCHEMA IF EXISTS rotation_old CASCADE");
        db.update("CREATE SCHEMA rotation_old");
        Map<String, String> old = settings(K2);
        old.put("geolead.db.url", db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=rotation_old");
        try {
            assertThat(DataKeysCommand.command(GeoleadSettings.from(old::get), new PrintStream(out), new PrintStream(err))).isEqualTo(2);
            assertThat(text(err)).contains("The database schema is not current", "start this version of Geolead once first");
            assertThat(db.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'rotation_old'")).isZero();
        } finally {
            db.update("DROP SCHEMA IF EXISTS rotation_old CASCADE");
        }
    }

    // ------------------------------------------------------------------ helpers

    private int command(String keys) {
        return DataKeysCommand.command(GeoleadSettings.from(settings(keys)::get), new PrintStream(out, true), new PrintStream(err, true));
    }

    private Map<String, String> settings(String keys) {
        Map<String, String> settings = new HashMap<>();
        settings.put("geolead.db.url", db.jdbcUrl());
        settings.put("geolead.db.user", db.user());
        settings.put("geolead.db.password", db.password());
        settings.put("geolead.data.keys", keys);
        return settings;
    }

    /** Every contact not erased, read with {@code keys} alone. */
    private Map<Long, Map<String, Object>> contacts(String keys) {
        Map<Long, Map<String, Object>> contacts = new HashMap<>();
        new LeadContents(database, new DataCipher(DataKeys.parse(keys))).forEachContact(new LeadContents.Visitor() {
            @Override
            public void contact(long leadId, Map<String, Object> fields) {
                contacts.put(leadId, fields);
            }

            @Override
            public void unreadable(long leadId, UnreadableLeadData problem) {
                throw new AssertionError(problem.getMessage());
            }
        });
        return contacts;
    }

    private Map<Long, byte[]> pdfs(String keys) {
        LeadContents contents = new LeadContents(database, new DataCipher(DataKeys.parse(keys)));
        Map<Long, byte[]> pdfs = new HashMap<>();
        for (Map<String, Object> row : db.rows("SELECT lead_id FROM lead_pdfs")) {
            long leadId = (Long) row.get("lead_id");
            pdfs.put(leadId, contents.pdf(leadId).orElseThrow());
        }
        return pdfs;
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }
}
