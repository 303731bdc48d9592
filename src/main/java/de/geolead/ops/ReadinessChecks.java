package de.geolead.ops;

import de.geolead.db.Database;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Session;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.quartz.Scheduler;

import javax.sql.DataSource;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Geolead's own readiness checks: database, broker, a recent successful Dialfire import, and the clustered scheduler. */
public final class ReadinessChecks {

    private ReadinessChecks() {
    }

    public static List<HealthCheck> all(DataSource dataSource, ConnectionFactory broker, ImportFreshness freshness,
                                        boolean importEnabled, Clock clock) {
        Instant startedAt = clock.instant();
        Database db = new Database(dataSource);
        return List.of(
                new Check("geolead-database", builder -> {
                    try (java.sql.Connection c = dataSource.getConnection()) {
                        if (!c.isValid(2)) {
                            throw new IllegalStateException("connection not valid");
                        }
                    }
                }),
                new Check("geolead-broker", builder -> {
                    try (Connection c = broker.createConnection(); Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
                        s.createQueue("geolead.leads.new");
                    }
                }),
                new Check("geolead-dialfire-import", builder -> {
                    if (!importEnabled) {
                        builder.detail("import", "disabled (Dialfire settings missing)");
                        return;
                    }
                    Instant last = db.sql().sql("SELECT last_success_at FROM import_watermarks WHERE source = 'dialfire'")
                            .query((rs, row) -> Optional.ofNullable(rs.getTimestamp(1)).map(Timestamp::toInstant))
                            .optional().flatMap(value -> value).orElse(null);
                    builder.detail("lastSuccess", last == null ? "none" : last.toString());
                    String problem = freshness.problem(last, startedAt, clock.instant());
                    if (problem != null) {
                        throw new IllegalStateException(problem);
                    }
                }));
    }

    /**
     * {@code geolead-scheduler}: which instance this is, the cluster's members with their last check-in, and per
     * schedule the instance running it now and its next fire time. DOWN while this instance's scheduler is not
     * running, or when its last check-in is so old that the other instances treat it as failed (check-in interval
     * + 7.5 s, Quartz's rule).
     */
    public static HealthCheck scheduler(Supplier<Scheduler> scheduler, String cluster, Duration checkin, DataSource dataSource, Clock clock) {
        Database db = new Database(dataSource);
        return new Check("geolead-scheduler", builder -> {
            Scheduler running = scheduler.get();
            String instance = running == null ? null : running.getSchedulerInstanceId();
            builder.detail("instance", instance == null ? "none" : instance);
            List<String> members = new ArrayList<>();
            Instant myCheckin = null;
            List<Map.Entry<String, Instant>> checkins = db.sql().sql(
                            "SELECT instance_name, last_checkin_time FROM qrtz_scheduler_state WHERE sched_name = ? ORDER BY instance_name")
                    .param(cluster)
                    .query((rs, row) -> Map.entry(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2))))
                    .list();
            for (Map.Entry<String, Instant> member : checkins) {
                members.add(member.getKey() + " (checked in " + member.getValue() + ")");
                if (member.getKey().equals(instance)) {
                    myCheckin = member.getValue();
                }
            }
            builder.detail("members", String.join(", ", members));
            db.sql().sql("""
                            SELECT t.trigger_name, t.next_fire_time, f.instance_name
                              FROM qrtz_triggers t
                              LEFT JOIN qrtz_fired_triggers f ON f.sched_name = t.sched_name AND f.trigger_name = t.trigger_name
                                                              AND f.trigger_group = t.trigger_group AND f.state = 'EXECUTING'
                             WHERE t.sched_name = ?
                             ORDER BY t.trigger_name""")
                    .param(cluster)
                    .query(rs -> {
                        long next = rs.getLong(2);
                        builder.detail(rs.getString(1) + ".nextFireTime", rs.wasNull() || next <= 0 ? "none" : Instant.ofEpochMilli(next).toString());
                        builder.detail(rs.getString(1) + ".runningOn", rs.getString(3) == null ? "none" : rs.getString(3));
                    });
            if (running == null || !running.isStarted() || running.isShutdown() || running.isInStandbyMode()) {
                throw new IllegalStateException("the scheduler of this instance is not running");
            }
            if (myCheckin == null) {
                throw new IllegalStateException("instance " + instance + " has not checked in to the cluster");
            }
            Instant failedAfter = myCheckin.plus(checkin).plusMillis(7500);
            if (clock.instant().isAfter(failedAfter)) {
                throw new IllegalStateException("instance " + instance + " last checked in at " + myCheckin
                        + ": the other instances treat it as failed");
            }
        });
    }

    private interface Probe {
        void run(HealthCheckResultBuilder builder) throws Exception;
    }

    /** A readiness check that is UP unless its probe throws; the exception's message says why. */
    private static final class Check extends AbstractHealthCheck {
        private final Probe probe;

        Check(String id, Probe probe) {
            super("geolead", id);
            this.probe = probe;
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            try {
                probe.run(builder);
                builder.up();
            } catch (Exception e) {
                builder.message(e.getMessage()).down();
            }
        }
    }
}
