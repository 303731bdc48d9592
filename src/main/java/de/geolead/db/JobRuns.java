package de.geolead.db;

/**
 * The last success of each scheduled job ({@code job_runs}: job, {@code last_success_at}, {@code last_summary}), read
 * by the metrics ({@code geolead_*_last_success}) and people. The daily payment check and the data retention record
 * their runs here.
 */
public final class JobRuns {

    private final Database database;

    public JobRuns(Database database) {
        this.database = database;
    }

    /** Records a successful run of {@code job} now, with its one-line summary (ids and counts, never homeowner data). */
    public void succeeded(String job, String summary) {
        database.inTransaction("Recording the run of " + job, () -> database.sql().sql("""
                INSERT INTO job_runs (job, last_success_at, last_summary) VALUES (?, now(), ?)
                ON CONFLICT (job) DO UPDATE SET last_success_at = now(), last_summary = EXCLUDED.last_summary
                """).params(job, summary).update());
    }
}
