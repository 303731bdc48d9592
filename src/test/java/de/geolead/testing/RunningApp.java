package de.geolead.testing;

import de.geolead.GeoleadApplication;
import de.geolead.dialfire.ImportRun;
import de.geolead.simulator.dialfire.DialfireSimulator;
import org.apache.camel.CamelContext;
import org.apache.camel.ConsumerTemplate;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real application (real routes, real wiring) started in this JVM for a test, against the
 * {@link TestDatabase} and an embedded Artemis broker whose journal lives in {@code dataDir}.
 * Scheduled imports are off unless a test sets {@code geolead.import.cron}; tests start runs themselves.
 */
public final class RunningApp implements AutoCloseable {

    /** A cron that never fires while a test runs. */
    public static final String NEVER = "0 0 0 1 1 ? 2099";

    private final Main main;
    private final ProducerTemplate producer;
    private final ConsumerTemplate consumer;

    private RunningApp(Main main) {
        this.main = main;
        this.producer = main.getCamelContext().createProducerTemplate();
        this.consumer = main.getCamelContext().createConsumerTemplate();
    }

    /** Properties every test app gets; {@code overrides} win. */
    public static Map<String, String> defaults(Path dataDir) {
        TestDatabase db = TestDatabase.get();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("geolead.data.dir", dataDir.toString());
        props.put("geolead.db.url", db.jdbcUrl());
        props.put("geolead.db.user", db.user());
        props.put("geolead.db.password", db.password());
        props.put("geolead.broker.url", "");
        props.put("geolead.http.bind", "127.0.0.1");
        props.put("geolead.import.cron", NEVER);
        // a test runs the retention itself (direct:data-retention-run) when it needs it
        props.put("geolead.retention.cron", NEVER);
        props.put("geolead.import.http.backoff", "PT0.02S");
        props.put("geolead.import.http.attempts", "3");
        props.put("geolead.http.port", Integer.toString(freePort()));
        props.put("camel.management.port", Integer.toString(freePort()));
        return props;
    }

    /**
     * Settings of an app that imports from {@code dialfire} and stops at the intake stage: the route
     * lead-distribution stays off, so the imported leads' messages wait on geolead.leads.new for the test.
     * Add a test's own settings to the returned map.
     */
    public static Map<String, String> importingFrom(DialfireSimulator dialfire, String campaign, String token) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("dialfire.base.url", dialfire.baseUrl());
        props.put("dialfire.campaign.id", campaign);
        props.put("dialfire.campaign.token", token);
        props.put("camel.main.auto-startup-exclude-pattern", "lead-distribution");
        return props;
    }

    /**
     * Settings of an app that mails to the test SMTP server on {@code smtpPort} at any hour of the day, with the
     * scheduled sweep off (tests start sweeps themselves); add a test's own settings to the returned map.
     */
    public static Map<String, String> mailingTo(int smtpPort) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("smtp.host", "127.0.0.1");
        props.put("smtp.port", Integer.toString(smtpPort));
        props.put("smtp.from", "leads@geolead.test");
        props.put("geolead.delivery.window", "00:00-24:00");
        props.put("geolead.sweep.cron", NEVER);
        return props;
    }

    /** A loopback port nobody listens on right now. */
    /** Ports this JVM's tests were given: a port is chosen, closed and bound later, so it must not be handed out twice. */
    private static final java.util.Set<Integer> GIVEN_PORTS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free loopback port for a server a test starts: never one this JVM handed out before (the operating system may
     * offer a port again once its probe socket is closed; two servers of one test got the same port that way, and
     * the webhook's request reached the SMTP server).
     */
    public static int freePort() {
        while (true) {
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                if (GIVEN_PORTS.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    public static RunningApp start(Path dataDir, Map<String, String> overrides) {
        Map<String, String> props = defaults(dataDir);
        props.putAll(overrides);
        return startWith(props, null);
    }

    /**
     * Like {@link #start(Path, Map)}, with {@code beans} bound in the registry before the configuration runs (the
     * configuration uses some when they are there, e.g. a {@link java.time.Clock} the test moves as adminClock).
     */
    public static RunningApp start(Path dataDir, Map<String, String> overrides, Map<String, Object> beans) {
        Map<String, String> props = defaults(dataDir);
        props.putAll(overrides);
        Main main = GeoleadApplication.newMain(null);
        props.forEach(main::addOverrideProperty);
        beans.forEach(main::bind);
        main.start();
        return new RunningApp(main);
    }

    /** Starts with exactly these properties (and, if given, routes loaded from a folder in dev mode). */
    public static RunningApp startWith(Map<String, String> props, Path devRoutesDirectory) {
        Main main = GeoleadApplication.newMain(devRoutesDirectory);
        props.forEach(main::addOverrideProperty);
        main.start();
        return new RunningApp(main);
    }

    /** The management port of this app (health, metrics, Jolokia). */
    public int managementPort() {
        return Integer.parseInt(context().getPropertiesComponent().resolveProperty("camel.management.port").orElseThrow());
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    /** Runs one Dialfire import now, as the schedule would, and returns the finished exchange. */
    public Exchange runImport() {
        return producer.send("direct:dialfire-import-run", exchange -> { });
    }

    public ImportRun runImportExpectingSuccess() {
        Exchange exchange = runImport();
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure != null) {
            throw new AssertionError("Import run failed: " + failure, failure);
        }
        return exchange.getMessage().getBody(ImportRun.class);
    }

    /** Publishes a stored lead for planning, as the import does. */
    public void publishLead(long leadId) {
        producer.sendBody("jms:queue:geolead.leads.new", Long.toString(leadId));
    }

    /** Takes every message now waiting on a queue (real consumption from the broker). */
    public List<String> drainQueue(String queue) {
        List<String> bodies = new ArrayList<>();
        String body;
        while ((body = consumer.receiveBody("jms:queue:" + queue, 1000, String.class)) != null) {
            bodies.add(body);
        }
        return bodies;
    }

    /** The embedded broker's queue {@code name}, or null before its first message created it. */
    public org.apache.activemq.artemis.core.server.Queue queue(String name) {
        return bean("infrastructure", de.geolead.config.Infrastructure.class).embeddedBroker().server().getActiveMQServer()
                .locateQueue(org.apache.activemq.artemis.api.core.SimpleString.of(name));
    }

    /**
     * Empties the work queues ({@code geolead.leads.new}, {@code geolead.deliveries}), scheduled messages included, once
     * no message of theirs is being processed any more (those finish and may send more, emptied too): between tests
     * that reset the database (RESTART IDENTITY), so that no earlier test's message hits a new row with the same id.
     */
    public void emptyWorkQueues(java.time.Duration wait) {
        List<String> names = List.of("geolead.leads.new", "geolead.deliveries");
        names.forEach(this::purge);
        org.awaitility.Awaitility.await().atMost(wait).until(() ->
                names.stream().allMatch(name -> queue(name) == null || queue(name).getDeliveringCount() == 0));
        names.forEach(this::purge);
    }

    private void purge(String name) {
        org.apache.activemq.artemis.core.server.Queue queue = queue(name);
        if (queue != null) {
            try {
                queue.deleteAllReferences();
            } catch (Exception e) {
                throw new IllegalStateException("Emptying queue " + name + " failed", e);
            }
        }
    }

    @Override
    public void close() {
        main.stop();
    }
}
