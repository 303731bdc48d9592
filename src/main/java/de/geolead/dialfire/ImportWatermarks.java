package de.geolead.dialfire;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * How far each polling import got ({@code import_watermarks}; a watermark never moves backwards) and when
 * its last re-scan succeeded ({@code job_runs}, job {@code <source>-rescan}).
 */
public class ImportWatermarks {

    private final DataSource dataSource;

    public ImportWatermarks(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Optional<Instant> read(String source) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT watermark FROM import_watermarks WHERE source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getTimestamp(1).toInstant()) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the " + source + " watermark failed", e);
        }
    }

    /** Moves the watermark forward to {@code to} (never back); {@code success} also stamps the last successful run. */
    public void advance(String source, Instant to, boolean success) {
        String sql = """
                INSERT INTO import_watermarks (source, watermark, last_success_at) VALUES (?, ?, CASE WHEN ? THEN now() END)
                ON CONFLICT (source) DO UPDATE
                   SET watermark = GREATEST(import_watermarks.watermark, EXCLUDED.watermark),
                       last_success_at = COALESCE(EXCLUDED.last_success_at, import_watermarks.last_success_at),
                       updated_at = now()
                """;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, source);
            ps.setTimestamp(2, Timestamp.from(to));
            ps.setBoolean(3, success);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Moving the " + source + " watermark failed", e);
        }
    }

    /** When the last re-scan of {@code source} succeeded, if ever. */
    public Optional<Instant> lastRescan(String source) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT last_success_at FROM job_runs WHERE job = ?")) {
            ps.setString(1, rescanJob(source));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getTimestamp(1) != null ? Optional.of(rs.getTimestamp(1).toInstant()) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Reading the last " + source + " re-scan failed", e);
        }
    }

    /** Records a successful re-scan of {@code source} at {@code at} with its summary. */
    public void rescanDone(String source, Instant at, String summary) {
        String sql = """
                INSERT INTO job_runs (job, last_success_at, last_summary) VALUES (?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET last_success_at = EXCLUDED.last_success_at, last_summary = EXCLUDED.last_summary
                """;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, rescanJob(source));
            ps.setTimestamp(2, Timestamp.from(at));
            ps.setString(3, summary);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Recording the " + source + " re-scan failed", e);
        }
    }

    private static String rescanJob(String source) {
        return source + "-rescan";
    }
}
