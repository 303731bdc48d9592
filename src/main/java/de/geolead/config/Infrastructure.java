package de.geolead.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import org.apache.activemq.artemis.jms.client.ActiveMQConnection;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.support.service.ServiceSupport;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.connection.CachingConnectionFactory;

import de.geolead.db.Database;

import javax.sql.DataSource;

/**
 * The database and the broker the routes work with: the external ones named by
 * {@code GEOLEAD_DB_URL} / {@code GEOLEAD_BROKER_URL}, or embedded ones under the data directory.
 * Started before any route, stopped after the last one (it is a Camel service of the context).
 */
public final class Infrastructure extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Infrastructure.class);

    private final EmbeddedDatabase embeddedDatabase;
    private final String jdbcUrl;
    /** Cached JMS sessions (per acknowledge mode): at least the Vert.x worker pool's 20 threads, with room for the rest. */
    static final int SESSION_CACHE_SIZE = 32;

    private final HikariDataSource dataSource;
    private final Database database;
    private final EmbeddedBroker embeddedBroker;
    private final CachingConnectionFactory connectionFactory;

    private Infrastructure(EmbeddedDatabase embeddedDatabase, String jdbcUrl, HikariDataSource dataSource,
                           EmbeddedBroker embeddedBroker, CachingConnectionFactory connectionFactory) {
        this.embeddedDatabase = embeddedDatabase;
        this.jdbcUrl = jdbcUrl;
        this.dataSource = dataSource;
        this.database = new Database(dataSource);
        this.embeddedBroker = embeddedBroker;
        this.connectionFactory = connectionFactory;
    }

    /**
     * Opens (and if needed starts) database and broker, and migrates the schema. The embedded broker (loading its
     * journal) starts on its own thread while the database starts and Flyway checks the schema: neither needs the
     * other, and each is a good part of the start.
     */
    public static Infrastructure open(GeoleadSettings settings) throws Exception {
        EmbeddedDatabase embeddedDatabase = null;
        HikariDataSource dataSource = null;
        java.util.concurrent.CompletableFuture<EmbeddedBroker> brokerStart = null;
        EmbeddedBroker embeddedBroker = null;
        try {
            if (settings.embeddedBroker()) {
                brokerStart = java.util.concurrent.CompletableFuture.supplyAsync(() -> startBroker(settings),
                        runnable -> new Thread(runnable, "geolead-broker-start").start());
            }
            String jdbcUrl = settings.dbUrl();
            if (settings.embeddedDatabase()) {
                embeddedDatabase = EmbeddedDatabase.start(settings.dataDir().resolve("postgres"));
                jdbcUrl = embeddedDatabase.jdbcUrl();
                LOG.info("Embedded PostgreSQL started on 127.0.0.1:{} with data in {}", embeddedDatabase.port(),
                        settings.dataDir().resolve("postgres"));
            }
            dataSource = dataSource(jdbcUrl, settings);
            int applied = Flyway.configure().dataSource(dataSource)
                    .locations("classpath:db/migration")
                    .load().migrate().migrationsExecuted;
            LOG.info("Database schema is current ({} migration(s) applied now)", applied);

            String brokerUrl = settings.brokerUrl();
            if (brokerStart != null) {
                embeddedBroker = joinBroker(brokerStart);
                brokerStart = null;
                brokerUrl = EmbeddedBroker.IN_VM_URL;
            }
            return new Infrastructure(embeddedDatabase, jdbcUrl, dataSource, embeddedBroker, connectionFactory(brokerUrl, settings));
        } catch (Exception e) {
            closeQuietly(dataSource);
            if (brokerStart != null) {
                // the database failed while the broker was starting: wait for it, then close it
                try {
                    embeddedBroker = joinBroker(brokerStart);
                } catch (Exception brokerFailure) {
                    e.addSuppressed(brokerFailure);
                }
            }
            closeQuietly(embeddedBroker);
            closeQuietly(embeddedDatabase);
            throw e;
        }
    }

    private static EmbeddedBroker startBroker(GeoleadSettings settings) {
        try {
            EmbeddedBroker broker = EmbeddedBroker.start(settings.dataDir().resolve("artemis"), new EmbeddedBroker.Redelivery(
                    settings.brokerRedeliveryDelay(), settings.brokerDeliveryAttempts()));
            LOG.info("Embedded Artemis broker started with its journal in {}", settings.dataDir().resolve("artemis"));
            return broker;
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    /** The started broker, or the exception its start threw. */
    private static EmbeddedBroker joinBroker(java.util.concurrent.CompletableFuture<EmbeddedBroker> start) throws Exception {
        try {
            return start.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static HikariDataSource dataSource(String jdbcUrl, GeoleadSettings settings) {
        return new HikariDataSource(poolConfig("geolead-db", jdbcUrl, settings, settings.dbPoolSize()));
    }

    /** A pool on the application's database with its user and password (either may be empty). */
    static HikariConfig poolConfig(String name, String jdbcUrl, GeoleadSettings settings, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(jdbcUrl);
        if (!settings.dbUser().isEmpty()) {
            config.setUsername(settings.dbUser());
        }
        if (!settings.dbPassword().isEmpty()) {
            config.setPassword(settings.dbPassword());
        }
        config.setMaximumPoolSize(size);
        config.setConnectionTimeout(10_000);
        // PostgreSQL's error details quote the row's values ("Key (email)=(...)", "JSON data, line 1: {...}");
        // exception messages end up in logs, so they carry the error only, never the data
        config.addDataSourceProperty("logServerErrorDetail", "false");
        return config;
    }

    private static CachingConnectionFactory connectionFactory(String brokerUrl, GeoleadSettings settings) {
        return cachingConnectionFactory(artemisConnectionFactory(brokerUrl, settings.brokerUser(), settings.brokerPassword()));
    }

    /**
     * The factory the routes use: one shared connection, cached sessions and producers. A broken connection is
     * replaced (the listener containers then open new consumers), except when the Artemis client reports that it
     * failed over by itself ({@code reconnectAttempts}, {@code ha=true}): its sessions and consumers live on, and
     * replacing them would only add the containers' recovery time to the failover.
     */
    public static CachingConnectionFactory cachingConnectionFactory(ActiveMQConnectionFactory artemis) {
        // a caching factory: without it every send opens a connection and a session (3-4x slower)
        CachingConnectionFactory caching = new CachingConnectionFactory(artemis) {
            @Override
            public void onException(JMSException failure) {
                if (ActiveMQConnection.EXCEPTION_FAILOVER.equals(failure.getErrorCode())) {
                    LOG.info("Broker connection re-established by the Artemis client (failover or broker restart), sessions and consumers kept");
                    return;
                }
                super.onException(failure);
            }
        };
        // one cached session per thread that may send at once: the HTTP routes run on platform-http's Vert.x worker
        // pool (20 threads); beyond the cache size a session is opened and closed per send (two broker round trips,
        // and its destination lookups start cold)
        caching.setSessionCacheSize(SESSION_CACHE_SIZE);
        // cache producers only: a cached idle consumer would keep prefetched messages from everyone else
        caching.setCacheConsumers(false);
        caching.setReconnectOnException(true);
        return caching;
    }

    /**
     * The Artemis factory for {@code brokerUrl}: {@code vm://0}, {@code tcp://host:61616} or the failover list
     * {@code (tcp://a:61616,tcp://b:61616)?ha=true&reconnectAttempts=-1&…}. With {@code reconnectAttempts=-1} the
     * client reconnects by itself after a broker restart or a failover to the backup; a transaction open at that moment
     * is rolled back and its message redelivered.
     *
     * <p>No consumer buffers messages ({@code consumerWindowSize=0}): a consumer stuck in a slow SMTP conversation
     * must not hold messages another consumer could send now. Sessions cache the destinations they looked up
     * ({@code cacheDestinations=true}). A {@code consumerWindowSize} or {@code cacheDestinations} in the URL wins.
     */
    public static ActiveMQConnectionFactory artemisConnectionFactory(String brokerUrl, String user, String password) {
        ActiveMQConnectionFactory artemis = new ActiveMQConnectionFactory(brokerUrl);
        if (!namesParameter(brokerUrl, "consumerWindowSize")) {
            artemis.setConsumerWindowSize(0);
        }
        if (!namesParameter(brokerUrl, "cacheDestinations")) {
            // each session keeps the queues it looked up: without it every send (JmsTemplate resolves the destination
            // each time) first asks the broker whether the queue exists, a blocking round trip per message
            artemis.setCacheDestinations(true);
        }
        if (!user.isEmpty()) {
            artemis.setUser(user);
            artemis.setPassword(password);
        }
        return artemis;
    }

    /** Whether the URL's query sets {@code parameter} (Artemis' URL parameters are case-sensitive). */
    static boolean namesParameter(String url, String parameter) {
        int query = url.indexOf('?');
        if (query < 0) {
            return false;
        }
        for (String pair : url.substring(query + 1).split("[&;]")) {
            if (pair.split("=", 2)[0].equals(parameter)) {
                return true;
            }
        }
        return false;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The one way the stores run SQL on {@link #dataSource()}. */
    public Database database() {
        return database;
    }

    /** The JDBC URL of the database in use (the embedded one's is only known once it runs). */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    /** The embedded broker, or null when an external one is used. */
    public EmbeddedBroker embeddedBroker() {
        return embeddedBroker;
    }

    @Override
    protected void doStop() {
        closeQuietly(connectionFactory::destroy);
        closeQuietly(embeddedBroker);
        closeQuietly(dataSource);
        closeQuietly(embeddedDatabase);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("Error while closing {}: {}", closeable, e.getMessage());
        }
    }
}
