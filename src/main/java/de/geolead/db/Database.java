package de.geolead.db;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * The one way Geolead's stores run SQL: Spring's {@link JdbcClient} for statements and a {@link TransactionTemplate}
 * for work that must commit together. Statements run through {@link #sql()} inside {@link #inTransaction} share
 * that transaction's connection; outside one, each statement commits on its own.
 * <p>
 * Spring translates {@code SQLException}s into {@code DataAccessException}s; the pool is set up so PostgreSQL's
 * error details (which may quote values) never reach their messages ({@code logServerErrorDetail=false}).
 */
public final class Database {

    private final DataSource dataSource;
    private final JdbcClient sql;
    private final TransactionTemplate transactions;

    public Database(DataSource dataSource) {
        this.dataSource = dataSource;
        this.sql = JdbcClient.create(dataSource);
        this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    /** Statements: {@code sql().sql("… WHERE id = ?").param(id).query(Long.class).optional()}. */
    public JdbcClient sql() {
        return sql;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    public <T> T inTransaction(Supplier<T> work) {
        return transactions.execute(status -> work.get());
    }

    /**
     * Like {@link #inTransaction(Supplier)}, but a database failure is reported as "{@code what} failed (SQLState …)"
     * (see {@link #failure}).
     */
    public <T> T inTransaction(String what, Supplier<T> work) {
        try {
            return inTransaction(work);
        } catch (DataAccessException e) {
            throw failure(what, e);
        }
    }

    /**
     * "{@code what} failed (SQLState …)": PostgreSQL's message may quote values (an agent's e-mail, a homeowner's data)
     * and Spring's adds the SQL, so neither may reach a log line or a status column; the cause keeps them for DEBUG
     * and its SQLException for callers that judge the SQLState class.
     */
    public static IllegalStateException failure(String what, DataAccessException e) {
        return new IllegalStateException(what + " failed (SQLState " + sqlState(e) + ")", e);
    }

    /** The SQLState of the first SQLException in {@code e}'s causes, or "unknown". */
    public static String sqlState(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return "unknown";
    }

    /** Like {@link #inTransaction(Supplier)} for work without a result. */
    public void inTransaction(Runnable work) {
        transactions.executeWithoutResult(status -> work.run());
    }

    /** For the few callers that need the pool itself (camel-sql, Flyway, Quartz). */
    public DataSource dataSource() {
        return dataSource;
    }
}
