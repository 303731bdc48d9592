package de.geolead.db;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
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

    /** Like {@link #inTransaction(Supplier)} for work without a result. */
    public void inTransaction(Runnable work) {
        transactions.executeWithoutResult(status -> work.run());
    }

    /** For the few callers that need the pool itself (camel-sql, Flyway, Quartz). */
    public DataSource dataSource() {
        return dataSource;
    }
}
