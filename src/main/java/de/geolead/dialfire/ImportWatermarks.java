package de.geolead.dialfire;

import de.geolead.db.Database;
import org.springframework.dao.DataAccessException;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * How far each polling import got ({@code import_watermarks}; a watermark never moves backwards) and when
 * its last re-scan succeeded ({@code job_runs}, job {@code <source>-rescan}).
 */
public class ImportWatermarks {

    private final Database db;

    public ImportWatermarks(Database db) {
        this.db = db;
    }

    public Optional<Instant> read(String source) {
        try {
            return db.sql().sql("SELECT watermark FROM import_watermarks WHERE source = ?").param(source)
                    .query((rs, n) -> rs.getTimestamp(1).toInstant()).optional();
        } catch (DataAccessException e) {
            throw Database.failure("Reading the " + source + " watermark", e);
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
        try {
            db.sql().sql(sql).param(source).param(Timestamp.from(to)).param(success).update();
        } catch (DataAccessException e) {
            throw Database.failure("Moving the " + source + " watermark", e);
        }
    }

    /** When the last re-scan of {@code source} succeeded, if ever. */
    public Optional<Instant> lastRescan(String source) {
        try {
            return db.sql().sql("SELECT last_success_at FROM job_runs WHERE job = ? AND last_success_at IS NOT NULL")
                    .param(rescanJob(source))
                    .query((rs, n) -> rs.getTimestamp(1).toInstant()).optional();
        } catch (DataAccessException e) {
            throw Database.failure("Reading the last " + source + " re-scan", e);
        }
    }

    /** Records a successful re-scan of {@code source} at {@code at} with its summary. */
    public void rescanDone(String source, Instant at, String summary) {
        String sql = """
                INSERT INTO job_runs (job, last_success_at, last_summary) VALUES (?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET last_success_at = EXCLUDED.last_success_at, last_summary = EXCLUDED.last_summary
                """;
        try {
            db.sql().sql(sql).param(rescanJob(source)).param(Timestamp.from(at)).param(summary).update();
        } catch (DataAccessException e) {
            throw Database.failure("Recording the " + source + " re-scan", e);
        }
    }


    private static String rescanJob(String source) {
        return source + "-rescan";
    }
}
