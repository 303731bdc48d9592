package de.geolead.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import de.geolead.db.Database;

/**
 * The {@code audit_log} table: one row per write through the operations API, with the actor (the token's name),
 * the action ({@code lead.resend}, {@code customer.pause}, {@code return.approve}, ...), the entity and its state
 * before and after as JSON. Call {@link #record} inside the transaction of the change it records, so the row exists
 * exactly when the change does. Before/after hold ids, statuses and settings, never homeowner data.
 */
public final class AuditLog {

    public static final String LEAD = "lead";
    public static final String CUSTOMER = "customer";
    public static final String RETURN = "return";

    private static final Gson JSON = new GsonBuilder().serializeNulls().create();

    private final Database db;

    public AuditLog(Database db) {
        this.db = db;
    }

    /**
     * Records one write. {@code before} and {@code after} are any values Gson can write (maps, records with
     * String/number/boolean fields; times as ISO-8601 strings), or null.
     */
    public void record(ApiUser actor, String action, String entity, long entityId, Object before, Object after) {
        db.sql().sql("INSERT INTO audit_log (actor, action, entity, entity_id, before, after) "
                        + "VALUES (?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb))")
                .params(actor.name(), action, entity, entityId, json(before), json(after))
                .update();
    }

    private static String json(Object value) {
        return value == null ? null : JSON.toJson(value);
    }
}
