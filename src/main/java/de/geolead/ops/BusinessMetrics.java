package de.geolead.ops;

import de.geolead.db.Database;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.apache.activemq.artemis.api.jms.management.JMSManagementHelper;

import javax.sql.DataSource;
import java.util.List;
import java.util.function.ToLongFunction;
import java.sql.Timestamp;

/**
 * Business metrics read from PostgreSQL at scrape time, so they are the same on every instance and survive
 * restarts: payment status changes, leads erased by the retention, and when the import, the payment check and the
 * retention last succeeded.
 * (Event counters such as leads imported or mails sent are counted in the routes with {@code micrometer:}.)
 */
public final class BusinessMetrics {

    private BusinessMetrics() {
    }

    public static void register(MeterRegistry registry, DataSource dataSource) {
        // the meters hold their state object (the pool, kept by the application) weakly, their function strongly
        Database db = new Database(dataSource);
        FunctionCounter.builder("geolead.payment.status.changes", dataSource,
                        ds -> number(db, "SELECT count(*) FROM status_history"))
                .description("Status changes of customers and subscriptions (webhook and daily check)")
                .register(registry);
        Gauge.builder("geolead.import.last.success", dataSource,
                        ds -> epochSeconds(db, "SELECT last_success_at FROM import_watermarks WHERE source = 'dialfire'"))
                .description("When the Dialfire import last completed, epoch seconds (0 = never)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("geolead.payment.check.last.success", dataSource,
                        ds -> epochSeconds(db, "SELECT last_success_at FROM job_runs WHERE job = 'payment-check'"))
                .description("When the daily payment check last completed, epoch seconds (0 = never)")
                .baseUnit("seconds")
                .register(registry);
        FunctionCounter.builder("geolead.retention.erased", dataSource,
                        ds -> number(db, "SELECT count(*) FROM leads WHERE erased_reason = 'retention'"))
                .description("Leads whose homeowner data the retention erased (GEOLEAD_RETENTION after the last mail or parking)")
                .register(registry);
        Gauge.builder("geolead.retention.last.success", dataSource,
                        ds -> epochSeconds(db, "SELECT last_success_at FROM job_runs WHERE job = 'data-retention'"))
                .description("When the data retention last completed, epoch seconds (0 = never)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("geolead.stripe.events.failed", dataSource,
                        ds -> number(db, "SELECT count(*) FROM stripe_events WHERE status = 'failed' AND given_up_at IS NULL"))
                .description("Stripe events whose processing failed and that the sweep still retries")
                .tag("state", "retrying")
                .register(registry);
        Gauge.builder("geolead.stripe.events.failed", dataSource,
                        ds -> number(db, "SELECT count(*) FROM stripe_events WHERE status = 'failed' AND given_up_at IS NOT NULL"))
                .description("Stripe events the sweep gave up on (GEOLEAD_STRIPE_EVENT_RETRY_FOR passed)")
                .tag("state", "given_up")
                .register(registry);
    }

    /** How long a scrape waits for the external broker's answer to a message count. */
    static final long MANAGEMENT_TIMEOUT_MILLIS = 2_000;

    /**
     * Messages in the queues nothing consumes (dead letters, expired messages, failed mails), read at scrape time:
     * from the embedded broker in this JVM ({@code embedded} answers a queue's message count), or ({@code embedded}
     * null) from the external broker over its management address {@code activemq.management} (the login needs the
     * {@code manage} permission there); NaN when the broker does not answer.
     */
    public static void registerDeadLetters(MeterRegistry registry, List<String> queues, ToLongFunction<String> embedded,
                                           ConnectionFactory external) {
        for (String queue : queues) {
            Gauge.Builder<?> gauge = embedded != null
                    // a method reference nobody else keeps: held strongly, else the gauge would lose it to the GC
                    ? Gauge.builder("geolead.dead.letter.messages", embedded, count -> deadLetters(count, queue)).strongReference(true)
                    : Gauge.builder("geolead.dead.letter.messages", external, f -> messageCount(f, queue));
            gauge.description("Messages waiting in a dead-letter or expiry queue of the broker")
                    .tag("queue", queue)
                    .register(registry);
        }
    }

    private static double deadLetters(ToLongFunction<String> embedded, String queue) {
        try {
            return embedded.applyAsLong(queue);
        } catch (RuntimeException e) { // broker stopping
            return Double.NaN;
        }
    }

    /** The queue's message count (scheduled ones included) as the broker's management answers it. */
    static double messageCount(ConnectionFactory factory, String queue) {
        try (jakarta.jms.Connection connection = factory.createConnection();
             Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            connection.start();
            TemporaryQueue replies = session.createTemporaryQueue();
            try {
                Message request = session.createMessage();
                JMSManagementHelper.putAttribute(request, ResourceNames.QUEUE + queue, "messageCount");
                request.setJMSReplyTo(replies);
                try (MessageConsumer consumer = session.createConsumer(replies);
                     MessageProducer producer = session.createProducer(session.createQueue("activemq.management"))) {
                    producer.send(request);
                    Message reply = consumer.receive(MANAGEMENT_TIMEOUT_MILLIS);
                    if (reply == null || !JMSManagementHelper.hasOperationSucceeded(reply)) {
                        return Double.NaN;
                    }
                    return ((Number) JMSManagementHelper.getResult(reply)).doubleValue();
                }
            } finally {
                replies.delete();
            }
        } catch (Exception e) { // broker unreachable, no manage permission
            return Double.NaN;
        }
    }

    private static double number(Database db, String sql) {
        try {
            return db.sql().sql(sql).query((rs, row) -> rs.getDouble(1)).optional().orElse(0.0);
        } catch (RuntimeException e) { // database unreachable: the scrape shows NaN
            return Double.NaN;
        }
    }

    private static double epochSeconds(Database db, String sql) {
        try {
            return db.sql().sql(sql).query((rs, row) -> {
                Timestamp ts = rs.getTimestamp(1);
                return ts == null ? 0.0 : (double) ts.toInstant().getEpochSecond();
            }).optional().orElse(0.0);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
