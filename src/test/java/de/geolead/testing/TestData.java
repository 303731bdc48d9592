package de.geolead.testing;

import de.geolead.lead.LeadSheetPdf;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Agents, subscriptions and leads written straight into the {@link TestDatabase}. */
public final class TestData {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final TestDatabase db;

    public TestData(TestDatabase db) {
        this.db = db;
    }

    /** A customer with the given status ('paid', 'past_due', 'unpaid'); returns its id. */
    public long customer(String name, String status) {
        int n = SEQUENCE.incrementAndGet();
        return (Long) db.row("INSERT INTO customers (name, email, status) VALUES (?, ?, ?) RETURNING id",
                name, name.toLowerCase().replace(' ', '.') + "." + n + "@makler.test", status).get("id");
    }

    public String email(long customerId) {
        return (String) db.row("SELECT email FROM customers WHERE id = ?", customerId).get("email");
    }

    /** An active subscription that started a day ago, optionally with an end date offset (days, may be negative). */
    public long subscription(long customerId, String plz) {
        return (Long) db.row("INSERT INTO subscriptions (customer_id, plz, start_date, status) VALUES (?, ?, now() - interval '1 day', 'active') RETURNING id",
                customerId, plz).get("id");
    }

    /** A complete lead (status pending) with a generated lead sheet; returns its id. */
    public long lead(String plz, String ort) {
        return lead(plz, ort, LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", ort)));
    }

    /** A planned mail (status pending, role only) as the planner writes it, for rows it would not make (unpaid agents, past times). */
    public long distribution(long leadId, long customerId, java.time.Instant scheduledFor) {
        return (Long) db.row("INSERT INTO lead_distributions (lead_id, customer_id, scheduled_for, status, role, enqueued_at) "
                + "VALUES (?, ?, ?, 'pending', 'only', now()) RETURNING id", leadId, customerId, java.sql.Timestamp.from(scheduledFor)).get("id");
    }

    public long lead(String plz, String ort, byte[] pdf) {
        int n = SEQUENCE.incrementAndGet();
        String contact = "{\"$id\":\"TESTLEAD%06d\",\"vorname\":\"Erika\",\"nachname\":\"Muster%d\",\"strasse\":\"Musterweg %d\",\"plz\":\"%s\",\"ort\":\"%s\",\"$phone\":\"+4930123456\"}"
                .formatted(n, n, n, plz, ort);
        long id = (Long) db.row("INSERT INTO leads (plz, dialfire_id, dialfire_version, contact, status) VALUES (?, ?, 'V1', ?::jsonb, 'pending') RETURNING id",
                plz, "TESTLEAD" + String.format("%06d", n), contact).get("id");
        db.update("INSERT INTO lead_pdfs (lead_id, content, sha256, size_bytes) VALUES (?, ?, ?, ?)", id, pdf, LeadSheetPdf.sha256Hex(pdf), pdf.length);
        return id;
    }
}
