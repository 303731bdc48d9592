package de.geolead.api;

import de.geolead.db.Database;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditLogTest {

    final TestDatabase db = TestDatabase.get();
    final Database database = new Database(db.dataSource());
    final AuditLog audit = new AuditLog(database);

    record Cap(Integer monthlyCap) {
    }

    @BeforeEach
    void reset() {
        db.reset();
    }

    @Test
    void aWriteIsRecordedWithActorActionEntityAndStatesAsJson() {
        Map<String, Object> before = new LinkedHashMap<>();
        before.put("pausedUntil", null);
        audit.record(new ApiUser("ops-admin", "admin"), "customer.cap", AuditLog.CUSTOMER, 7, new Cap(null), new Cap(30));
        audit.record(new ApiUser("ops-admin", "admin"), "customer.pause", AuditLog.CUSTOMER, 7, before, Map.of("pausedUntil", "2026-12-24T00:00:00Z"));

        Map<String, Object> row = db.row("SELECT actor, action, entity, entity_id, before::text AS before, after::text AS after, at "
                + "FROM audit_log WHERE action = 'customer.cap'");
        assertThat(row).containsEntry("actor", "ops-admin").containsEntry("entity", "customer").containsEntry("entity_id", 7L)
                .containsEntry("before", "{\"monthlyCap\": null}").containsEntry("after", "{\"monthlyCap\": 30}");
        assertThat(row.get("at")).isNotNull();
        assertThat(db.row("SELECT before->>'pausedUntil' AS b, after->>'pausedUntil' AS a FROM audit_log WHERE action = 'customer.pause'"))
                .containsEntry("b", null).containsEntry("a", "2026-12-24T00:00:00Z");
    }

    @Test
    void theRowExistsOnlyIfTheChangeCommits() {
        assertThatThrownBy(() -> database.inTransaction(() -> {
            audit.record(new ApiUser("ops-admin", "admin"), "lead.park", AuditLog.LEAD, 42, null, Map.of("status", "parked"));
            throw new IllegalStateException("the change failed");
        })).hasMessage("the change failed");

        assertThat(db.count("SELECT count(*) FROM audit_log")).isZero();
    }

    @Test
    void anEntityOutsideTheListIsRefusedByTheDatabase() {
        assertThatThrownBy(() -> audit.record(new ApiUser("ops-admin", "admin"), "x", "homeowner", 1, null, null))
                .hasMessageContaining("audit_log_entity_check");
    }
}
