package de.geolead.lead;

import de.geolead.db.Database;
import de.geolead.privacy.DataCipher;
import de.geolead.privacy.DataKeys;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.LeadSealer;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How {@link LeadRepository#save} writes a lead, sealed (GEOLEAD_DATA_KEYS set): a new contact in one statement under an id
 * taken before (its contact and PDF sealed under that id), a stored one through the upsert; either way all or nothing.
 */
class LeadRepositoryTest {

    private static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(new byte[32]);

    private final TestDatabase testDb = TestDatabase.get();
    private final Database db = new Database(testDb.dataSource());
    private final DataCipher cipher = new DataCipher(DataKeys.parse(KEYS));
    private final LeadRepository leads = new LeadRepository(db, new LeadSealer(db, cipher));
    private final LeadContents contents = new LeadContents(db, cipher);
    private final byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "10115"), 2_000);

    @BeforeEach
    void emptyDatabase() {
        testDb.reset();
    }

    private static LeadRepository.LeadRecord record(String dialfireId, String version, String plz, byte[] pdf) {
        return new LeadRepository.LeadRecord(dialfireId, version, "{\"$id\":\"" + dialfireId + "\",\"$version\":\"" + version
                + "\",\"plz\":\"" + plz + "\"}", plz, "https://dialfire.test/lead.pdf", LeadStatus.PENDING, null, pdf, null, null);
    }

    @Test
    void aNewContactIsStoredWithItsContactAndPdfSealedUnderItsOwnId() {
        Optional<LeadRepository.Saved> saved = leads.save(record("C1", "v1", "10115", pdf));

        assertThat(saved).isPresent();
        assertThat(saved.get().created()).isTrue();
        long id = saved.get().id();
        assertThat(testDb.row("SELECT contact::text AS contact, contact_key FROM leads WHERE id = ?", id))
                .containsEntry("contact", "{}").containsEntry("contact_key", "k1");
        assertThat(contents.contact(id)).hasValueSatisfying(contact -> assertThat(contact).containsEntry("plz", "10115"));
        assertThat(contents.pdf(id)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(pdf));
        assertThat(testDb.row("SELECT sha256, size_bytes FROM lead_pdfs WHERE lead_id = ?", id))
                .containsEntry("sha256", LeadSheetPdf.sha256Hex(pdf)).containsEntry("size_bytes", pdf.length);
    }

    @Test
    void aContactStoredAlreadyIsRefreshedUnderItsFirstIdAndStaysReadable() {
        long id = leads.save(record("C2", "v1", "10115", pdf)).orElseThrow().id();
        byte[] newer = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331"), 2_000);

        Optional<LeadRepository.Saved> refreshed = leads.save(record("C2", "v2", "80331", newer));

        assertThat(refreshed).contains(new LeadRepository.Saved(id, false));
        assertThat(testDb.count("SELECT count(*) FROM leads")).isEqualTo(1);
        assertThat(contents.contact(id)).hasValueSatisfying(contact -> assertThat(contact).containsEntry("$version", "v2"));
        assertThat(contents.pdf(id)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(newer));
        // the same $version again: left as it is
        assertThat(leads.save(record("C2", "v2", "80331", newer))).isEmpty();
    }

    @Test
    void aNewLeadWhosePdfCannotBeStoredLeavesNoRowBehind() {
        // lead_pdfs.size_bytes must be > 0: the PDF part of the one statement fails after the lead row was written
        assertThatThrownBy(() -> leads.save(record("C3", "v1", "10115", new byte[0])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("SQLState 23514");

        assertThat(testDb.count("SELECT count(*) FROM leads WHERE dialfire_id = 'C3'")).as("no lead without its PDF").isZero();
        assertThat(testDb.count("SELECT count(*) FROM lead_pdfs")).isZero();
        // and a later try stores it whole
        assertThat(leads.save(record("C3", "v1", "10115", pdf))).hasValueSatisfying(s -> assertThat(s.created()).isTrue());
        assertThat(testDb.count("SELECT count(*) FROM lead_pdfs")).isEqualTo(1);
    }

    @Test
    void aNewLeadWithoutPdfHasNoPdfRow() {
        long id = leads.save(new LeadRepository.LeadRecord("C4", "v1", "{\"$id\":\"C4\"}", null, null, LeadStatus.PDF_MISSING,
                "not found", null, LeadRepository.PDF_PERMANENT, null)).orElseThrow().id();

        assertThat(testDb.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", id)).isZero();
        assertThat(contents.contact(id)).hasValueSatisfying(contact -> assertThat(contact).containsEntry("$id", "C4"));
    }
}
