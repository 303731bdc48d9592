package de.geolead.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import de.geolead.config.EmbeddedDatabase;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL the tests run against, one per test JVM: the external one named by
 * {@code GEOLEAD_DB_URL} (with {@code GEOLEAD_DB_USER}/{@code GEOLEAD_DB_PASSWORD}), else an embedded one.
 * {@link #reset()} empties every table so each test starts from a clean schema.
 */
public final class TestDatabase {

    private static TestDatabase instance;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final HikariDataSource dataSource;

    private TestDatabase(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        HikariConfig config = new HikariConfig();
        config.setPoolName("test-db");
        config.setJdbcUrl(jdbcUrl);
        if (!user.isEmpty()) {
            config.setUsername(user);
        }
        if (!password.isEmpty()) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(4);
        this.dataSource = new HikariDataSource(config);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    }

    public static synchronized TestDatabase get() {
        if (instance == null) {
            String url = env("GEOLEAD_DB_URL");
            try {
                if (url.isEmpty()) {
                    EmbeddedDatabase embedded = EmbeddedDatabase.start(Files.createTempDirectory("geolead-test-db").resolve("postgres"));
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        try {
                            embedded.close();
                        } catch (Exception ignored) {
                            // the JVM is going away
                        }
                    }));
                    instance = new TestDatabase(embedded.jdbcUrl(), "", "");
                } else {
                    instance = new TestDatabase(url, env("GEOLEAD_DB_USER"), env("GEOLEAD_DB_PASSWORD"));
                }
            } catch (Exception e) {
                throw new IllegalStateException("Test database could not be started", e);
            }
        }
        return instance;
    }

    private static String env(String name) {
        String value = System.getenv(name);
        return value == null ? "" : value.trim();
    }

    public String jdbcUrl() { return jdbcUrl; }
    public String user() { return user; }
    public String password() { return password; }
    public DataSource dataSource() { return dataSource; }

    /**
     * Empties every application table (not Flyway's history), the stored schedules included. The Quartz cluster's
     * members and lock rows stay: a scheduler still running would otherwise find itself "recovered by another
     * instance" (a warning); stopped instances' rows are cleaned up by Quartz itself.
     */
    public void reset() {
        List<String> tables = new ArrayList<>();
        for (Map<String, Object> row : rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                + " AND tablename NOT IN ('flyway_schema_history', 'qrtz_scheduler_state', 'qrtz_locks')")) {
            tables.add((String) row.get("tablename"));
        }
        if (!tables.isEmpty()) {
            update("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY CASCADE");
        }
    }

    public List<Map<String, Object>> rows(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int col = 1; col <= rs.getMetaData().getColumnCount(); col++) {
                        row.put(rs.getMetaData().getColumnLabel(col), rs.getObject(col));
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    public Map<String, Object> row(String sql, Object... args) {
        List<Map<String, Object>> rows = rows(sql, args);
        if (rows.size() != 1) {
            throw new IllegalStateException("Expected one row, got " + rows.size() + ": " + sql);
        }
        return rows.get(0);
    }

    public long count(String sql, Object... args) {
        return ((Number) row(sql, args).values().iterator().next()).longValue();
    }

    public int update(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Runs one statement that returns nothing (DDL). */
    public void execute(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
