package de.geolead.privacy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.db.Database;
import org.springframework.dao.DataAccessException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one read path of a lead's homeowner data: its Dialfire contact ({@code leads.contact}, or sealed in
 * {@code leads.contact_sealed}) and its lead sheet ({@code lead_pdfs.content}). Everything that shows or sends them
 * (the mail, the lead view, a data-subject export, the PDF retry) reads through here, so that whether a row is stored
 * plain or encrypted is decided in one place.
 *
 * <p>A row whose key column ({@code leads.contact_key}, {@code lead_pdfs.content_key}) is NULL is plain; otherwise its
 * value is a {@link DataCipher} envelope opened with that key from {@code GEOLEAD_DATA_KEYS}. A row that cannot be
 * opened is an {@link UnreadableLeadData} for that lead alone. {@link LeadSealer} is the write side.
 */
public class LeadContents {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SCAN_BATCH = 500;

    /** What {@link #forEachContact} hands over per lead. */
    public interface Visitor {
        void contact(long leadId, Map<String, Object> fields);

        /** The row cannot be read (see {@link UnreadableLeadData}); the scan goes on. */
        void unreadable(long leadId, UnreadableLeadData problem);
    }

    private final Database db;
    private final DataCipher cipher;

    /** Plain rows only (no GEOLEAD_DATA_KEYS): a sealed row is unreadable. */
    public LeadContents(Database db) {
        this(db, DataCipher.plain());
    }

    public LeadContents(Database db, DataCipher cipher) {
        this.db = db;
        this.cipher = cipher;
    }

    /**
     * The contact as its columns hold it: {@code contactJson} ({@code leads.contact::text}) when {@code keyId} is null,
     * else {@code sealed} opened with that key. An erased lead's contact is empty.
     */
    public Map<String, Object> contact(long leadId, String contactJson, byte[] sealed, String keyId) {
        String json = contactJson(leadId, contactJson, sealed, keyId);
        try {
            return JSON.readValue(json == null ? "{}" : json, new TypeReference<>() { });
        } catch (IOException e) {
            throw new UnreadableLeadData(leadId, "The stored contact of lead " + leadId + " is not a JSON object", null);
        }
    }

    /** The contact's JSON text as its columns hold it (plain, or opened): what a re-seal keeps byte for byte. */
    String contactJson(long leadId, String contactJson, byte[] sealed, String keyId) {
        if (keyId == null) {
            return contactJson;
        }
        return new String(cipher.open(leadId, DataCipher.Purpose.CONTACT, keyId, sealed), StandardCharsets.UTF_8);
    }

    /** The lead sheet as its columns hold it: {@code content} plain when {@code keyId} is null, else opened with that key. */
    public byte[] pdf(long leadId, byte[] content, String keyId) {
        if (keyId == null) {
            return content;
        }
        return cipher.open(leadId, DataCipher.Purpose.PDF, keyId, content);
    }

    /** The ids of the keys rows can be opened with (GEOLEAD_DATA_KEYS); empty when there are none. */
    public List<String> readableKeys() {
        return cipher.keys().ids();
    }

    /** The contact of lead {@code leadId}; empty when there is no such lead. */
    public Optional<Map<String, Object>> contact(long leadId) {
        record Stored(String json, byte[] sealed, String keyId) { }
        Optional<Stored> stored = read("Reading the contact of lead " + leadId, () -> db.sql()
                .sql("SELECT contact::text, contact_sealed, contact_key FROM leads WHERE id = ?").param(leadId)
                .query((rs, n) -> new Stored(rs.getString(1), rs.getBytes(2), rs.getString(3))).optional());
        return stored.map(s -> contact(leadId, s.json(), s.sealed(), s.keyId()));
    }

    /** The lead sheet of lead {@code leadId}; empty when it has none (never fetched, or erased). */
    public Optional<byte[]> pdf(long leadId) {
        record Stored(byte[] content, String keyId) { }
        Optional<Stored> stored = read("Reading the lead sheet of lead " + leadId, () -> db.sql()
                .sql("SELECT content, content_key FROM lead_pdfs WHERE lead_id = ?").param(leadId)
                .query((rs, n) -> new Stored(rs.getBytes(1), rs.getString(2))).optional());
        return stored.map(s -> pdf(leadId, s.content(), s.keyId()));
    }

    /** Every lead not erased, in id order, read in batches: for a search over the homeowner data. */
    public void forEachContact(Visitor visitor) {
        record Row(long id, String json, byte[] sealed, String keyId) { }
        long after = 0;
        while (true) {
            long from = after;
            List<Row> rows = read("Reading contacts after lead " + from, () -> db.sql().sql("""
                    SELECT id, contact::text, contact_sealed, contact_key FROM leads
                     WHERE id > ? AND erased_at IS NULL ORDER BY id LIMIT ?
                    """).params(from, SCAN_BATCH)
                    .query((rs, n) -> new Row(rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getString(4))).list());
            for (Row row : rows) {
                try {
                    visitor.contact(row.id(), contact(row.id(), row.json(), row.sealed(), row.keyId()));
                } catch (UnreadableLeadData e) {
                    visitor.unreadable(row.id(), e);
                }
            }
            if (rows.size() < SCAN_BATCH) {
                return;
            }
            after = rows.get(rows.size() - 1).id();
        }
    }

    private static <T> T read(String what, java.util.function.Supplier<T> query) {
        try {
            return query.get();
        } catch (DataAccessException e) {
            throw Database.failure(what, e);
        }
    }
}
