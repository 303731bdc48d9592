package de.geolead.config;

import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.RunningApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fresh-machine start: no database URL and no broker URL → embedded PostgreSQL and Artemis
 * under the data directory; the Quartz schedule imports; data and queued messages survive a restart.
 */
class EmbeddedDefaultsTest {

    @TempDir
    Path dataDir;

    @Test
    void importsOnScheduleIntoEmbeddedStoresThatSurviveARestart() throws Exception {
        try (DialfireSimulator dialfire = DialfireSimulator.start(0, "EMBEDDEDCAMPAIGN", "embedded-token")) {
            dialfire.putResource("leads/a.pdf", LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331", "ort", "München")), "application/pdf");
            String id = dialfire.addContact("anrufen", Map.of("plz", "80331", "ort", "München", "pdf_url", "leads/a.pdf"));
            dialfire.succeed(id, "anrufen");

            Map<String, String> props = new HashMap<>(RunningApp.defaults(dataDir));
            props.put("geolead.db.url", "");            // embedded PostgreSQL
            props.put("geolead.broker.url", "");        // embedded Artemis
            props.put("geolead.import.cron", "0/1 * * * * ?");
            props.put("dialfire.base.url", dialfire.baseUrl());
            props.put("dialfire.campaign.id", "EMBEDDEDCAMPAIGN");
            props.put("dialfire.campaign.token", "embedded-token");
            // the published lead id must stay in the journal for this test
            props.put("camel.main.auto-startup-exclude-pattern", "lead-distribution");

            try (RunningApp app = RunningApp.startWith(props, null)) {
                DataSource db = app.bean("dataSource", DataSource.class);
                assertThat(jdbcUrl(db)).as("the embedded database, not the test database").doesNotContain(dbNameOfTestDatabase());
                await().atMost(Duration.ofSeconds(20)).until(() -> count(db, "SELECT count(*) FROM leads") == 1);
            }
            assertThat(dataDir.resolve("postgres/PG_VERSION")).exists();
            assertThat(dataDir.resolve("artemis/journal")).isDirectory();

            try (RunningApp restarted = RunningApp.startWith(props, null)) {
                DataSource db = restarted.bean("dataSource", DataSource.class);
                assertThat(count(db, "SELECT count(*) FROM leads WHERE dialfire_id = '" + id + "' AND status = 'pending'")).isEqualTo(1);
                assertThat(restarted.drainQueue("geolead.leads.new")).as("the published lead id survived in the journal").hasSize(1);
                // a few more scheduled runs over the same contact change nothing
                long runsBefore = dialfire.requestLog().stream().filter(r -> r.contains("/transactions/")).count();
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        dialfire.requestLog().stream().filter(r -> r.contains("/transactions/")).count() >= runsBefore + 2);
                assertThat(count(db, "SELECT count(*) FROM leads")).isEqualTo(1);
            }
        }
    }

    private static String dbNameOfTestDatabase() {
        return de.geolead.testing.TestDatabase.get().jdbcUrl();
    }

    private static String jdbcUrl(DataSource db) throws Exception {
        try (Connection c = db.getConnection()) {
            return c.getMetaData().getURL();
        }
    }

    private static long count(DataSource db, String sql) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
