package de.geolead.privacy;

import de.geolead.db.Database;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code java -jar geolead.jar rotate-data-keys}: seals every stored contact and PDF that is not under the current
 * (first) key of {@code GEOLEAD_DATA_KEYS} again with it, plain rows included, so that an old key can then be dropped.
 *
 * <p>Rows are read in batches by id, each batch written in one transaction. Each update is conditional on the row
 * still holding what was read (the same key and the same stored value; for a PDF row the same row version), so it is
 * safe while Geolead instances run: a row changed meanwhile is read again. Erased leads hold no contact and are left
 * alone. A row that cannot be opened (its key is not configured, altered bytes) is counted unreadable with its lead id
 * and left as it is. Running it again changes nothing once every row is under the current key (idempotent).
 *
 * <p>{@link Result#exitCode()}: 0 every row is under the current key, 1 some are not (unreadable, or written meanwhile
 * under another key: run again). The command around it is {@code de.geolead.config.DataKeysCommand}.
 */
public final class DataKeyRotation {

    /** Rows per batch (and per transaction). */
    public static final int BATCH = 500;
    /** How often a row that changed while it was resealed is read again in one run. */
    private static final int TRIES = 3;

    /** What a run did; {@code remaining} counts the rows (contacts and PDFs) not under the current key afterwards. */
    public record Result(String currentKey, long contactsResealed, long contactsCurrent, long pdfsResealed, long pdfsCurrent,
                         SortedSet<Long> unreadable, long changedMeanwhile, long remaining) {

        public int exitCode() {
            return remaining == 0 ? 0 : 1;
        }

        /** The lines the command prints: counts and lead ids, never a value or a key. */
        public List<String> lines() {
            String key = "'" + currentKey + "'";
            String ids = unreadable.stream().map(String::valueOf).collect(Collectors.joining(", "));
            return List.of(
                    "contacts:    " + contactsResealed + " resealed, " + contactsCurrent + " already under " + key,
                    "lead sheets: " + pdfsResealed + " resealed, " + pdfsCurrent + " already under " + key,
                    "unreadable:  " + unreadable.size() + " lead(s)" + (unreadable.isEmpty() ? "" : ": " + ids
                            + " (sealed with a key GEOLEAD_DATA_KEYS does not hold, or altered; left as they are)"),
                    remaining == 0 ? "done: every contact and lead sheet is under key " + key
                            : remaining + " row(s) are not under key " + key + (changedMeanwhile > 0
                            ? " (" + changedMeanwhile + " kept changing while this ran: run it again)" : ""));
        }
    }

    private final Database db;
    private final DataCipher cipher;
    private final LeadContents contents;
    private final int batch;

    public DataKeyRotation(Database db, DataCipher cipher, int batch) {
        if (!cipher.enabled()) {
            throw new IllegalArgumentException(DataKeys.VARIABLE + " is not set: there is no key to rotate to");
        }
        this.db = db;
        this.cipher = cipher;
        this.contents = new LeadContents(db, cipher);
        this.batch = batch;
    }

    public Result run() {
        String current = cipher.currentKeyId();
        long contactsCurrent = db.sql().sql("SELECT count(*) FROM leads WHERE erased_at IS NULL AND contact_key = ?")
                .param(current).query(Long.class).single();
        long pdfsCurrent = db.sql().sql("SELECT count(*) FROM lead_pdfs WHERE content_key = ?").param(current).query(Long.class).single();
        SortedSet<Long> unreadable = new TreeSet<>();
        long[] changed = new long[1];
        long contacts = contacts(current, unreadable, changed);
        long pdfs = pdfs(current, unreadable, changed);
        long remaining = db.sql().sql("SELECT count(*) FROM leads WHERE erased_at IS NULL AND contact_key IS DISTINCT FROM ?")
                .param(current).query(Long.class).single()
                + db.sql().sql("SELECT count(*) FROM lead_pdfs WHERE content_key IS DISTINCT FROM ?").param(current).query(Long.class).single();
        return new Result(current, contacts, contactsCurrent, pdfs, pdfsCurrent, unreadable, changed[0], remaining);
    }

    /** A lead's contact columns as read. */
    record Contact(long id, String json, byte[] sealed, String keyId) {
    }

    private long contacts(String current, SortedSet<Long> unreadable, long[] changed) {
        String select = "SELECT id, contact::text, contact_sealed, contact_key FROM leads WHERE erased_at IS NULL "
                + "AND contact_key IS DISTINCT FROM ? ";
        long resealed = 0;
        long after = 0;
        while (true) {
            long from = after;
            List<Contact> rows = db.sql().sql(select + "AND id > ? ORDER BY id LIMIT ?").params(current, from, batch)
                    .query((rs, n) -> new Contact(rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getString(4))).list();
            resealed += db.inTransaction("Resealing contacts after lead " + from, () -> {
                long done = 0;
                for (Contact row : rows) {
                    Contact read = row;
                    for (int tryNo = 1; read != null; tryNo++) {
                        if (tryNo > TRIES) {
                            changed[0]++;
                            break;
                        }
                        String json;
                        try {
                            json = contents.contactJson(read.id(), read.json(), read.sealed(), read.keyId());
                        } catch (UnreadableLeadData e) {
                            unreadable.add(read.id());
                            break;
                        }
                        if (resealContact(read, json)) {
                            done++;
                            break;
                        }
                        long id = read.id();
                        read = db.sql().sql(select + "AND id = ?").params(current, id)
                                .query((rs, n) -> new Contact(rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getString(4)))
                                .optional().orElse(null);
                    }
                }
                return done;
            });
            if (rows.size() < batch) {
                return resealed;
            }
            after = rows.get(rows.size() - 1).id();
        }
    }

    /** Seals {@code json} with the current key, if the row still holds what was read; false if it changed meanwhile. */
    boolean resealContact(Contact read, String json) {
        byte[] sealed = cipher.seal(read.id(), DataCipher.Purpose.CONTACT, json.getBytes(StandardCharsets.UTF_8));
        String set = "UPDATE leads SET contact = '{}'::jsonb, contact_sealed = ?, contact_key = ? WHERE id = ? AND erased_at IS NULL ";
        int updated = read.keyId() == null
                ? db.sql().sql(set + "AND contact_key IS NULL AND contact::text = ?")
                        .params(sealed, cipher.currentKeyId(), read.id(), read.json()).update()
                : db.sql().sql(set + "AND contact_key = ? AND contact_sealed = ?")
                        .params(sealed, cipher.currentKeyId(), read.id(), read.keyId(), read.sealed()).update();
        return updated == 1;
    }

    private record Pdf(long leadId, byte[] content, String keyId, String version) {
    }

    private long pdfs(String current, SortedSet<Long> unreadable, long[] changed) {
        // xmin: the row version, so a PDF stored again meanwhile is not overwritten with the old one
        String select = "SELECT lead_id, content, content_key, xmin::text FROM lead_pdfs WHERE content_key IS DISTINCT FROM ? ";
        long resealed = 0;
        long after = 0;
        while (true) {
            long from = after;
            List<Pdf> rows = db.sql().sql(select + "AND lead_id > ? ORDER BY lead_id LIMIT ?").params(current, from, batch)
                    .query((rs, n) -> new Pdf(rs.getLong(1), rs.getBytes(2), rs.getString(3), rs.getString(4))).list();
            resealed += db.inTransaction("Resealing lead sheets after lead " + from, () -> {
                long done = 0;
                for (Pdf row : rows) {
                    Pdf read = row;
                    for (int tryNo = 1; read != null; tryNo++) {
                        if (tryNo > TRIES) {
                            changed[0]++;
                            break;
                        }
                        byte[] plain;
                        try {
                            plain = contents.pdf(read.leadId(), read.content(), read.keyId());
                        } catch (UnreadableLeadData e) {
                            unreadable.add(read.leadId());
                            break;
                        }
                        byte[] sealed = cipher.seal(read.leadId(), DataCipher.Purpose.PDF, plain);
                        int updated = db.sql().sql("UPDATE lead_pdfs SET content = ?, content_key = ? WHERE lead_id = ? "
                                        + "AND content_key IS NOT DISTINCT FROM ? AND xmin = ?::xid")
                                .params(sealed, cipher.currentKeyId(), read.leadId(), read.keyId(), read.version()).update();
                        if (updated == 1) {
                            done++;
                            break;
                        }
                        long id = read.leadId();
                        Optional<Pdf> again = db.sql().sql(select + "AND lead_id = ?").params(current, id)
                                .query((rs, n) -> new Pdf(rs.getLong(1), rs.getBytes(2), rs.getString(3), rs.getString(4))).optional();
                        read = again.orElse(null);
                    }
                }
                return done;
            });
            if (rows.size() < batch) {
                return resealed;
            }
            after = rows.get(rows.size() - 1).leadId();
        }
    }
}
