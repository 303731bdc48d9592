package de.geolead.subjects;

import de.geolead.db.Database;
import de.geolead.privacy.LeadContents;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scan over real PostgreSQL: 20 000 stored contacts in the spellings Dialfire holds, read through
 * {@link LeadContents#forEachContact}; erased leads are not searched and unreadable ones are named. Prints the time of
 * one scan (the number in the README).
 */
class HomeownerSearchTest {

    static final int LEADS = 20_000;
    final TestDatabase db = TestDatabase.get();
    final HomeownerSearch search = new HomeownerSearch(new LeadContents(new Database(db.dataSource())));

    @BeforeEach
    void leads() {
        db.reset();
        // 20 000 other homeowners with phone, telefon and email fields like Dialfire's
        db.update("""
                INSERT INTO leads (plz, dialfire_id, dialfire_version, contact, status)
                SELECT '80331', 'BULK' || n, 'V1', jsonb_build_object('$id', 'BULK' || n, 'vorname', 'Max', 'nachname', 'Mustermann' || n,
                       'strasse', 'Hauptstr. ' || n, 'plz', '80331', 'ort', 'München', '$phone', '+4989' || (1000000 + n),
                       'telefon', '089 ' || (2000000 + n), 'email', 'max' || n || '@example.de', 'objektart', 'Einfamilienhaus'),
                       'distributed'
                  FROM generate_series(1, ?) AS n""", LEADS);
    }

    long lead(String contact) {
        return (Long) db.row("INSERT INTO leads (plz, dialfire_id, dialfire_version, contact, status) "
                + "VALUES ('10115', 'X' || gen_random_uuid(), 'V1', ?::jsonb, 'pending') RETURNING id", contact).get("id");
    }

    @Test
    void findsEveryLeadOfThePersonAmong20000AndNamesTheUnreadable() {
        long byPhone = lead("{\"$phone\": \"+49 30 1234567\"}");
        long byTelefon = lead("{\"$phone\": \"+4940555555\", \"telefon\": \"(030) 123-45 67\"}");
        long byEmail = lead("{\"email\": \"Erika.Muster@Example.DE\"}");
        long erased = lead("{\"$phone\": \"030 1234567\"}");
        db.update("UPDATE leads SET contact = '{}', erased_at = now(), erased_reason = 'request' WHERE id = ?", erased);
        long sealed = lead("{}");
        db.update("UPDATE leads SET contact_sealed = '\\x00'::bytea, contact_key = 'lost-key' WHERE id = ?", sealed);

        HomeownerSearch.Found phone = search.find(Homeowner.of("0049 30 1234567", null));
        assertThat(phone.leadIds()).containsExactly(byPhone, byTelefon);
        assertThat(phone.unreadableLeadIds()).containsExactly(sealed);
        assertThat(phone.searched()).isEqualTo(LEADS + 4);
        System.out.printf("HomeownerSearch: %d leads searched in %d ms%n", phone.searched(), phone.millis());

        assertThat(search.find(Homeowner.of(null, "erika.muster@example.de")).leadIds()).containsExactly(byEmail);
        assertThat(search.find(Homeowner.of("030 1234567", "ERIKA.MUSTER@example.de")).leadIds())
                .containsExactly(byPhone, byTelefon, byEmail);
        assertThat(search.find(Homeowner.of("089 2000042", null)).leadIds()).hasSize(1);
        assertThat(search.find(Homeowner.of("0171 9999999", "nobody@example.de")).leadIds()).isEmpty();

        long start = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            search.find(Homeowner.of("030 1234567", "erika.muster@example.de"));
        }
        System.out.printf("HomeownerSearch: %d leads, mean of 3 further scans %d ms%n", phone.searched(), (System.nanoTime() - start) / 3_000_000);
    }
}
