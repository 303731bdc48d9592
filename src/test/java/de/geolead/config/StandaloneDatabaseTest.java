package de.geolead.config;

import de.geolead.db.Database;
import de.geolead.launcher.Launcher;
import de.geolead.receipts.ReceiptCommands;
import de.geolead.receipts.ReceiptKey;
import de.geolead.receipts.Receipts;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The settings and database a command opens outside Camel, the embedded database included: the running Geolead's (its
 * port from postmaster.pid) and, when Geolead is stopped, one started for the command.
 */
class StandaloneDatabaseTest {

    @TempDir
    Path dataDir;

    @Test
    void settingsAreResolvedLikeTheApplicationDoes() {
        GeoleadSettings settings = StandaloneDatabase.settings();
        assertThat(settings.get("geolead.retention")).isEqualTo("P180D");
        assertThat(settings.get("geolead.receipt.key")).isEmpty();
        assertThat(settings.get("geolead.http.port")).isNotEmpty();
    }

    @Test
    void withoutAnyDatabaseItSaysWhy() {
        StandaloneDatabase.Opened opened = StandaloneDatabase.open(settings(Map.of()));
        assertThat(opened.database()).isNull();
        assertThat(opened.whyNot()).contains("no embedded database in " + dataDir.resolve("postgres"));
    }

    @Test
    void theEmbeddedDatabaseRunningOrNot() throws Exception {
        String privateKey = ReceiptKey.newPrivateKey();
        Path receipt;
        try (EmbeddedDatabase embedded = EmbeddedDatabase.start(dataDir.resolve("postgres"))) {
            // as Geolead left it: migrated, one mail with its receipt
            var pool = new com.zaxxer.hikari.HikariDataSource();
            pool.setJdbcUrl(embedded.jdbcUrl());
            try (pool) {
                Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
                try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO customers (id, name, email, status) VALUES (1, 'Makler', 'm@makler.test', 'paid')");
                    s.execute("INSERT INTO leads (id, plz, dialfire_id, dialfire_version, contact, status) VALUES (1, '10115', 'X1', 'V1', '{}', 'distributed')");
                    s.execute("INSERT INTO lead_pdfs (lead_id, content, sha256, size_bytes) VALUES (1, '\\x25504446', repeat('a', 64), 4)");
                    s.execute("INSERT INTO lead_distributions (id, lead_id, customer_id, scheduled_for, status, role) VALUES (1, 1, 1, now(), 'sent', 'only')");
                }
                Receipts.Issued issued = new Receipts(new Database(pool), ReceiptKey.load(privateKey, dataDir), Clock.systemUTC())
                        .issue(1, "<m@geolead.test>");
                receipt = Files.writeString(dataDir.resolve(issued.fileName()), issued.file());
            }
            // Geolead running: the command reads its database
            assertThat(verify(privateKey, receipt)).startsWith("0 VALID: receipt 1 ");
        }
        // Geolead stopped: the command starts the embedded database for itself and stops it again
        assertThat(verify(privateKey, receipt)).startsWith("0 VALID: receipt 1 ");
        assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();
    }

    private String verify(String privateKey, Path receipt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ReceiptCommands.run(new String[] {"verify-receipt", receipt.toString()},
                Launcher.receiptEnvironment(settings(Map.of("geolead.receipt.key", privateKey))),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
        return exit + " " + out.toString(StandardCharsets.UTF_8).strip();
    }

    private GeoleadSettings settings(Map<String, String> values) {
        return GeoleadSettings.from(key -> key.equals("geolead.data.dir") ? dataDir.toString() : values.getOrDefault(key, ""));
    }
}
