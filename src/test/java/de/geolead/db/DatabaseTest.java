package de.geolead.db;

import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseTest {

    private final TestDatabase db = TestDatabase.get();
    private final Database database = new Database(db.dataSource());

    @BeforeEach
    void clean() {
        db.reset();
    }

    private long jobRuns() {
        return database.sql().sql("SELECT count(*) FROM job_runs").query(Long.class).single();
    }

    private void insertJobRun(String job) {
        database.sql().sql("INSERT INTO job_runs (job, last_success_at) VALUES (?, now())").param(job).update();
    }

    @Test
    void workInATransactionCommitsTogether() {
        String result = database.inTransaction(() -> {
            insertJobRun("a");
            insertJobRun("b");
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(jobRuns()).isEqualTo(2);
    }

    @Test
    void aFailureRollsBackEveryStatementOfTheTransaction() {
        assertThatThrownBy(() -> database.inTransaction(() -> {
            insertJobRun("a");
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(jobRuns()).isZero();
    }

    @Test
    void aDatabaseFailureNamesTheStepAndTheSqlStateButNoValue() {
        insertJobRun("agent@example.org");
        assertThatThrownBy(() -> database.inTransaction("Recording a run", () -> {
            insertJobRun("agent@example.org");
            return null;
        })).isInstanceOf(IllegalStateException.class)
                .hasMessage("Recording a run failed (SQLState 23505)")
                .rootCause().hasMessageContaining("agent@example.org");
    }
}
