package de.geolead.ops;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Session;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Geolead's own readiness checks: database, broker, and a recent successful Dialfire import. */
public final class ReadinessChecks {

    private ReadinessChecks() {
    }

    public static List<HealthCheck> all(DataSource dataSource, ConnectionFactory broker, ImportFreshness freshness,
                                        boolean importEnabled, Clock clock) {
        Instant startedAt = clock.instant();
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
                    Instant last = null;
                    try (java.sql.Connection c = dataSource.getConnection();
                         PreparedStatement ps = c.prepareStatement("SELECT last_success_at FROM import_watermarks WHERE source = 'dialfire'");
                         ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            Timestamp ts = rs.getTimestamp(1);
                            last = ts == null ? null : ts.toInstant();
                        }
                    }
                    builder.detail("lastSuccess", last == null ? "none" : last.toString());
                    String problem = freshness.problem(last, startedAt, clock.instant());
                    if (problem != null) {
                        throw new IllegalStateException(problem);
                    }
                }));
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
