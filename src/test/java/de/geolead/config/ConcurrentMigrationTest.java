package de.geolead.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import de.geolead.testing.TestDatabase;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several instances starting at once on a fresh database: each migrates with its own pool at the same moment;
 * Flyway's lock lets one apply the schema while the other waits and then finds nothing left to do.
 */
class ConcurrentMigrationTest {

    @Test
    void twoInstancesMigratingOneFreshDatabaseAtOnceBothStartAndTheSchemaIsAppliedOnce() throws Exception {
        TestDatabase server = TestDatabase.get();
        String database = "geolead_quartz_flyway_" + Long.toHexString(System.nanoTime());
        server.execute("CREATE DATABASE " + database);
        List<HikariDataSource> pools = new ArrayList<>();
        ExecutorService starts = Executors.newFixedThreadPool(2);
        try {
            String url = server.jdbcUrl().replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1" + database);
            CountDownLatch together = new CountDownLatch(2);
            List<CompletableFuture<Integer>> migrations = new ArrayList<>();
            for (int instance = 0; instance < 2; instance++) {
                HikariConfig config = new HikariConfig();
                config.setJdbcUrl(url);
                if (!server.user().isEmpty()) {
                    config.setUsername(server.user());
                }
                if (!server.password().isEmpty()) {
                    config.setPassword(server.password());
                }
                config.setMaximumPoolSize(2);
                HikariDataSource pool = new HikariDataSource(config);
                pools.add(pool);
                migrations.add(CompletableFuture.supplyAsync(() -> {
                    together.countDown();
                    try {
                        together.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    // as Infrastructure.open migrates
                    return Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate().migrationsExecuted;
                }, starts));
            }
            List<Integer> executed = new ArrayList<>();
            for (CompletableFuture<Integer> migration : migrations) {
                executed.add(migration.get(2, TimeUnit.MINUTES));
            }

            int migrationFiles = Flyway.configure().dataSource(pools.get(0)).locations("classpath:db/migration").load().info().all().length;
            assertThat(executed).as("one instance applied everything, the other nothing").containsExactlyInAnyOrder(migrationFiles, 0);
            try (var c = pools.get(0).getConnection(); var s = c.createStatement()) {
                var history = s.executeQuery("SELECT count(*), count(DISTINCT version), bool_and(success) FROM flyway_schema_history");
                history.next();
                assertThat(Map.of("rows", history.getInt(1), "versions", history.getInt(2), "success", history.getBoolean(3)))
                        .isEqualTo(Map.of("rows", migrationFiles, "versions", migrationFiles, "success", true));
                var quartz = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'qrtz\\_%'");
                quartz.next();
                assertThat(quartz.getInt(1)).isEqualTo(11);
            }
        } finally {
            starts.shutdownNow();
            pools.forEach(HikariDataSource::close);
            server.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }
}
