package de.geolead.cluster;

import de.geolead.sandbox.SandboxStripe;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.mail.internet.MimeMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proof on one machine that Geolead runs as several instances: an Artemis primary/backup pair with a shared
 * store (the official distribution, {@link ArtemisPair}) and two Geolead JVMs started from the packaged jar
 * ({@link GeoleadProcess}) on one PostgreSQL ({@link TestDatabase}), with the Dialfire simulator, the Stripe
 * stand-in and GreenMail in this JVM. Run by {@code mvn -B -Pcluster verify}.
 *
 * <p>The brokers and instances are started once for the class and the tests run in order (the broker
 * failover is last: after it only the backup is left). The tables are emptied once before the instances
 * start and never while they run; every test works on its own PLZ and agents.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    static final String CAMPAIGN = "CLUSTER";
    static final String TOKEN = "cluster-token";
    static final String TASK = "anrufen";
    static final String STRIPE_KEY = "sk_test_cluster";
    static final String WEBHOOK_SECRET = "whsec_cluster";
    /** Import every 3 s: many fire times in a short window. */
    static final String IMPORT_CRON = "0/3 * * * * ?";
    static final Duration IMPORT_INTERVAL = Duration.ofSeconds(3);
    /** The payment check every 30 s (it has almost nothing to do unless a test makes Stripe slow). */
    static final String PAYMENT_CHECK_CRON = "0/30 * * * * ?";
    static final Duration HEAD_START = Duration.ofSeconds(15);

    static final Pattern IMPORT_RUN = Pattern.compile("^(\\S+ \\S+) .* - Dialfire import .*page\\(s\\)");
    static final Pattern SENT = Pattern.compile(" - Distribution (\\d+) \\(.*, sent$");
    static final Pattern ATTACHMENT = Pattern.compile("Lead-\\d{5}-(\\d+)\\.pdf");
    static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    static final HttpClient http = HttpClient.newHttpClient();
    static final Map<String, String> measurements = new LinkedHashMap<>();
    static final AtomicInteger contactSequence = new AtomicInteger();

    static Path workDir;
    static ArtemisPair brokers;
    static DialfireSimulator dialfire;
    static SandboxStripe stripe;
    static Mailbox mailbox;
    static ActiveMQConnectionFactory jms;
    static GeoleadProcess a;
    static GeoleadProcess b;
    static Instant classStarted;

    @RegisterExtension
    final TestWatcher printLogsOnFailure = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            for (GeoleadProcess instance : instances()) {
                System.out.println(instance.logTail());
            }
            if (brokers != null) {
                System.out.println(brokers.logs());
            }
        }
    };

    @BeforeAll
    static void startCluster() throws IOException {
        classStarted = Instant.now();
        // instances are killed mid-SMTP: GreenMail's handler thread then throws, which Awaitility would otherwise turn
        // into a failure of whatever wait runs at that moment
        org.awaitility.Awaitility.doNotCatchUncaughtExceptionsByDefault();
        workDir = Files.createTempDirectory("geolead-cluster");
        Path logDir = GeoleadProcess.logDir();
        if (Files.isDirectory(logDir)) {
            try (var old = Files.list(logDir)) {
                for (Path file : old.toList()) {
                    Files.delete(file);
                }
            }
        }
        db.reset(); // no instance runs yet
        Instant brokersStarting = Instant.now();
        brokers = ArtemisPair.start(workDir.resolve("artemis"));
        record("brokers-start", "primary/backup pair up in " + seconds(Duration.between(brokersStarting, Instant.now())));
        jms = new ActiveMQConnectionFactory(brokers.failoverUrl(), ArtemisPair.USER, ArtemisPair.PASSWORD);
        dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
        stripe = SandboxStripe.start(0, STRIPE_KEY);
        mailbox = new Mailbox();
        Path usersFile = GeoleadProcess.managementUsersFile(workDir);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("GEOLEAD_DB_URL", db.jdbcUrl());
        env.put("GEOLEAD_DB_USER", db.user());
        env.put("GEOLEAD_DB_PASSWORD", db.password());
        env.put("GEOLEAD_BROKER_URL", brokers.failoverUrl());
        env.put("GEOLEAD_BROKER_USER", ArtemisPair.USER);
        env.put("GEOLEAD_BROKER_PASSWORD", ArtemisPair.PASSWORD);
        env.put("GEOLEAD_MANAGEMENT_USERS_FILE", usersFile.toString());
        env.put("DIALFIRE_BASE_URL", dialfire.baseUrl());
        env.put("DIALFIRE_CAMPAIGN_ID", CAMPAIGN);
        env.put("DIALFIRE_CAMPAIGN_TOKEN", TOKEN);
        env.put("GEOLEAD_IMPORT_CRON", IMPORT_CRON);
        env.put("GEOLEAD_IMPORT_HTTP_BACKOFF", "PT0.1S");
        env.put("SMTP_HOST", "127.0.0.1");
        env.put("SMTP_PORT", Integer.toString(mailbox.port()));
        env.put("SMTP_FROM", "leads@geolead.test");
        env.put("GEOLEAD_DELIVERY_WINDOW", "00:00-24:00");
        env.put("GEOLEAD_HEAD_START", HEAD_START.toString());
        env.put("GEOLEAD_SWEEP_CRON", RunningApp.NEVER);
        env.put("STRIPE_API_KEY", STRIPE_KEY);
        env.put("STRIPE_API_BASE", stripe.apiBase());
        env.put("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET);
        env.put("GEOLEAD_PAYMENT_CHECK_CRON", PAYMENT_CHECK_CRON);
        env.put("GEOLEAD_WEBHOOK_RATE_LIMIT", "0");

        Map<String, String> envA = new LinkedHashMap<>(env);
        envA.put("GEOLEAD_DATA_DIR", Files.createDirectories(workDir.resolve("geolead-a")).toString());
        Map<String, String> envB = new LinkedHashMap<>(env);
        envB.put("GEOLEAD_DATA_DIR", Files.createDirectories(workDir.resolve("geolead-b")).toString());
        Instant starting = Instant.now();
        // both at once: Flyway's lock serialises the migrations of two instances starting together
        CompletableFuture<GeoleadProcess> startA = CompletableFuture.supplyAsync(() -> GeoleadProcess.start("a", envA));
        CompletableFuture<GeoleadProcess> startB = CompletableFuture.supplyAsync(() -> GeoleadProcess.start("b", envB));
        a = startA.join();
        b = startB.join();
        record("instances-start", "two Geolead JVMs started together and ready in " + seconds(Duration.between(starting, Instant.now())));
        learnQuartzInstance(a);
        learnQuartzInstance(b);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        org.awaitility.Awaitility.reset();
        for (GeoleadProcess instance : instances()) {
            instance.close();
        }
        if (brokers != null) {
            brokers.close();
        }
        if (dialfire != null) {
            dialfire.close();
        }
        if (stripe != null) {
            stripe.close();
        }
        if (mailbox != null) {
            mailbox.close();
        }
        StringBuilder md = new StringBuilder("# Cluster test measurements\n\n")
                .append("Two Geolead JVMs from target/geolead.jar, an Artemis ").append("primary/backup pair (shared store) and one PostgreSQL on ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores; class run ")
                .append(seconds(Duration.between(classStarted, Instant.now()))).append(".\n\n");
        measurements.forEach((k, v) -> md.append("- `").append(k).append("`: ").append(v).append('\n'));
        Files.writeString(GeoleadProcess.jar().getParent().resolve("cluster-measurements.md"), md.toString());
        if (workDir != null) {
            try (var tree = Files.walk(workDir)) {
                tree.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /** A test that died halfway leaves no instance down for the next. */
    @BeforeEach
    void bothInstancesRunning() {
        for (GeoleadProcess instance : instances()) {
            if (!instance.isAlive()) {
                restart(instance);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    @Order(1)
    void eachCronFiresOnceAcrossBothInstances() {
        // whole 3 s slots after a short settling time; every import run logs one summary line when it ends
        Instant windowStart = nextSlot(Instant.now().plusSeconds(2));
        int slots = 6;
        Instant windowEnd = windowStart.plus(IMPORT_INTERVAL.multipliedBy(slots));
        // every run of the window has ended (and logged) once a run after the window has ended
        await("a run after the window").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> importRuns().values().stream().flatMap(Collection::stream)
                        .anyMatch(t -> !t.isBefore(windowEnd.plus(IMPORT_INTERVAL))));

        Map<String, List<Instant>> runs = importRuns();
        Map<String, Long> perInstance = new TreeMap<>();
        runs.forEach((name, times) -> perInstance.put(name, times.stream()
                .filter(t -> !t.isBefore(windowStart) && t.isBefore(windowEnd)).count()));
        long total = perInstance.values().stream().mapToLong(Long::longValue).sum();
        record("cron-fires", slots + " fire times of a 3 s cron, import runs: " + total + " " + perInstance);
        // one run per fire time across both instances (one slot of slack for a run that ends late)
        assertThat(total).as("import runs in %d fire times, by instance %s", slots, perInstance).isBetween((long) slots - 1, (long) slots + 1);
    }

    @Test
    @Order(2)
    void leadsTimesAgentsAreDeliveredExactlyOnceWithBothInstancesSending() throws Exception {
        String plz = "10115";
        int agents = 3;
        int leads = 30;
        List<String> emails = agents(plz, agents);
        List<Long> leadIds = leads(plz, leads);
        Map<String, Integer> sentBefore = sentPerInstance();

        publish(leadIds);

        awaitAllSent(leadIds, agents, HEAD_START.plusSeconds(90));
        assertDeliveredOnce(leadIds, emails);
        Map<String, Integer> sentAfter = sentPerInstance();
        Map<String, Integer> sentHere = new TreeMap<>();
        sentAfter.forEach((k, v) -> sentHere.put(k, v - sentBefore.getOrDefault(k, 0)));
        record("delivery-split", leads + " leads x " + agents + " agents = " + leads * agents + " mails, sent by instance " + sentHere
                + "; head-start followers late by " + range(followerLateness(leadIds)) + " (no failover: the baseline)");
        assertThat(sentHere.values()).as("mails sent per instance %s", sentHere).hasSize(2).allSatisfy(n -> assertThat(n).isPositive());
        assertThat(sentHere.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(leads * agents);
    }

    @Test
    @Order(3)
    void theSameStripeEventPostedToBothInstancesAtOnceIsStoredOnceAndChangesStateOnce() {
        long now = Instant.now().getEpochSecond();
        stripe.putCustomer("cus_cluster", "Cluster Makler", "cluster@makler.test");
        stripe.putSubscription("sub_cluster", "cus_cluster", "active", "01067", now - 86_400, null, now + 30 * 86_400);
        String event = SandboxStripe.event("evt_cluster", "customer.subscription.created", stripe.subscriptionJson("sub_cluster"));
        String signature = SandboxStripe.signatureHeader(event, WEBHOOK_SECRET);
        int fetchesBefore = stripe.requestCount("/v1/subscriptions/sub_cluster");

        CompletableFuture<HttpResponse<String>> toA = CompletableFuture.supplyAsync(() -> postWebhook(a, event, signature));
        CompletableFuture<HttpResponse<String>> toB = CompletableFuture.supplyAsync(() -> postWebhook(b, event, signature));
        List<HttpResponse<String>> responses = List.of(toA.join(), toB.join());

        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(responses.stream().map(HttpResponse::body).sorted()).containsExactly("duplicate", "ok");
        await().atMost(Duration.ofSeconds(30)).until(() -> "processed".equals(
                db.rows("SELECT status FROM stripe_events WHERE event_id = 'evt_cluster'").stream().findFirst().map(r -> r.get("status")).orElse(null)));
        // nothing more happens: no second processing on the other instance
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() ->
                db.count("SELECT count(*) FROM status_history WHERE event_id = 'evt_cluster'") == 2);
        assertThat(db.count("SELECT count(*) FROM stripe_events WHERE event_id = 'evt_cluster'")).isEqualTo(1);
        assertThat(db.count("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = 'sub_cluster'")).isEqualTo(1);
        assertThat(db.rows("SELECT entity, old_status, new_status FROM status_history WHERE event_id = 'evt_cluster' ORDER BY id"))
                .extracting(r -> r.get("entity") + ":" + r.get("old_status") + "->" + r.get("new_status"))
                .containsExactly("subscription:null->active", "customer:unpaid->paid");
        // processed once: the "duplicate" answer may queue the event again (still `received`), but only one attempt
        // runs at a time (the lease in stripe_events.processing_until); the other finds it in progress or processed
        long processed = instances().stream().mapToLong(i -> i.matches(Pattern.compile(" - Stripe event evt_cluster \\(")).size()).sum();
        int fetches = stripe.requestCount("/v1/subscriptions/sub_cluster") - fetchesBefore;
        record("stripe-event-twice", "same event to both at once: answers " + responses.stream().map(HttpResponse::body).sorted().toList()
                + ", stored once, state changed once; processed " + processed + " time(s), Stripe API fetches of the subscription "
                + fetches);
        assertThat(processed).as("times evt_cluster was processed").isEqualTo(1);
        assertThat(fetches).as("Stripe API fetches of sub_cluster").isEqualTo(1);
    }

    @Test
    @Order(4)
    void deliveryThroughputWithOneAndWithTwoInstances() throws Exception {
        int leads = Integer.getInteger("cluster.throughputLeads", 200);
        List<String> agentsFirst = agents("20095", 1);
        List<String> agentsSecond = agents("20097", 1);
        List<Long> first = leads("20095", leads);
        List<Long> second = leads("20097", leads);

        b.stop();
        double one = measureThroughput(first);
        restart(b);
        double two = measureThroughput(second);

        assertDeliveredOnce(first, agentsFirst);
        assertDeliveredOnce(second, agentsSecond);
        record("throughput", String.format(java.util.Locale.ROOT,
                "%d leads (1 agent each, mail at once): one instance %.1f mails/s, two instances %.1f mails/s (x%.2f)",
                leads, one, two, two / one));
    }

    @Test
    @Order(5)
    void aRollingRestartUnderASteadyStreamOfLeadsLosesAndDuplicatesNothing() throws Exception {
        String plz = "04109";
        List<String> emails = agents(plz, 2);
        List<String> contacts = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean streaming = new AtomicBoolean(true);
        Thread stream = new Thread(() -> {
            while (streaming.get()) {
                contacts.add(successfulContact(plz));
                try {
                    Thread.sleep(200); // the pace of the stream, not a wait for anything
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lead-stream");
        stream.start();
        try {
            Instant began = Instant.now();
            await().atMost(Duration.ofSeconds(30)).until(() -> importedLeadIds(contacts).size() >= 5);
            a.stop();
            restart(a);
            b.stop();
            restart(b);
            record("rolling-restart", "stop/start a, stop/start b in " + seconds(Duration.between(began, Instant.now()))
                    + " under a lead every 200 ms");
        } finally {
            streaming.set(false);
            stream.join();
        }
        List<String> all = List.copyOf(contacts);
        await("every contact imported").atMost(Duration.ofSeconds(60)).until(() -> importedLeadIds(all).size() == all.size());
        List<Long> leadIds = importedLeadIds(all);
        awaitAllSent(leadIds, 2, HEAD_START.plusSeconds(90));
        assertDeliveredOnce(leadIds, emails);
        assertThat(db.count("SELECT count(*) FROM leads WHERE dialfire_id = ANY(?)", (Object) all.toArray(String[]::new))).isEqualTo(all.size());
        record("rolling-restart-leads", all.size() + " contacts streamed: " + all.size() + " leads, " + 2 * all.size()
                + " mails, each once");
    }

    @Test
    @Order(6)
    void killingTheInstanceThatHoldsTheImportLetsTheOtherImportWithinSeconds() {
        GeoleadProcess holder = importHolder();
        GeoleadProcess survivor = holder == a ? b : a;
        int survivorRunsBefore = survivor.matches(IMPORT_RUN).size();

        Instant killed = Instant.now();
        holder.kill();
        String contact = successfulContact("50667");

        await("the contact imported by " + survivor.name()).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> db.count("SELECT count(*) FROM leads WHERE dialfire_id = ?", contact) == 1);
        Duration takeover = Duration.between(killed, Instant.now());
        // the run logs its summary when it ends, after its leads are committed
        await("the survivor's run logged").atMost(Duration.ofSeconds(60))
                .until(() -> importRuns().get(survivor.name()).stream().anyMatch(t -> t.isAfter(killed)));
        List<Instant> survivorRuns = importRuns().get(survivor.name());
        Instant lastBeforeKill = importRuns().values().stream().flatMap(Collection::stream).filter(t -> t.isBefore(killed))
                .max(Instant::compareTo).orElse(killed);
        Instant firstAfter = survivorRuns.stream().filter(t -> t.isAfter(killed)).min(Instant::compareTo).orElseThrow();
        record("scheduler-takeover", "kill -9 of " + holder.name() + " (holding the import, quartz "
                + holder.quartzInstance + "): contact succeeded then was imported by " + survivor.name() + " after "
                + seconds(takeover) + "; import gap " + seconds(Duration.between(lastBeforeKill, firstAfter))
                + " against a " + IMPORT_INTERVAL.toSeconds() + " s cron");
        assertThat(survivor.matches(IMPORT_RUN).size()).isGreaterThan(survivorRunsBefore);
        assertThat(takeover).as("takeover").isLessThan(Duration.ofSeconds(30));
        restart(holder);
    }

    @Test
    @Order(7)
    void aPaymentCheckWhoseNodeDiesMidRunIsRunAgainByTheOtherNode() {
        // the next run's first call to Stripe hangs for 20 s: the run is in progress on one node
        int listsBefore = stripe.requestCount("/v1/checkout/sessions");
        stripe.delayNext("/v1/checkout/sessions", Duration.ofSeconds(20), 1);

        await("a payment check in progress").atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(100))
                .until(() -> stripe.requestCount("/v1/checkout/sessions") > listsBefore);
        Instant started = Instant.now();
        Instant nextRegularFire = nextFire(started, Duration.ofSeconds(30));
        GeoleadProcess runner = paymentCheckRunner();
        GeoleadProcess survivor = runner == a ? b : a;
        int listsWhileRunning = stripe.requestCount("/v1/checkout/sessions");

        Instant killed = Instant.now();
        runner.kill();

        await("the payment check run again by " + survivor.name()).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> stripe.requestCount("/v1/checkout/sessions") > listsWhileRunning);
        Instant rerun = Instant.now();
        await("the re-run finished").atMost(Duration.ofSeconds(60)).until(() -> !db.rows(
                "SELECT 1 FROM job_runs WHERE job = 'payment-check' AND last_success_at > ?", Timestamp.from(killed)).isEmpty());
        record("payment-check-recovery", "kill -9 of " + runner.name() + " mid-run: " + survivor.name() + " ran it again after "
                + seconds(Duration.between(killed, rerun)) + " (next regular fire was " + seconds(Duration.between(killed, nextRegularFire)) + " away)");
        assertThat(rerun).as("re-run before the next regular fire at %s", nextRegularFire).isBefore(nextRegularFire);
        assertThat(survivor.logText()).contains("Payment check: ");
        restart(runner);
    }

    @Test
    @Order(8)
    void killingThePrimaryBrokerLetsTheBackupDeliverTheScheduledMailsOnceAndOnTime() throws Exception {
        String plz = "80331";
        int perBatch = 5;
        List<String> emails = agents(plz, 2);
        // "during": followers due about a second after the kill, inside the failover; "after": due once it is over
        List<Long> during = leads(plz, perBatch);
        List<Long> after = leads(plz, perBatch);
        publish(during);
        awaitHeadStartsSent(during);
        Instant duringDue = firstFollowerDue(during);
        await().atMost(HEAD_START).until(() -> !Instant.now().isBefore(duringDue.minusSeconds(5)));
        publish(after);
        awaitHeadStartsSent(after);
        Instant afterDue = firstFollowerDue(after);
        // the followers' mails wait in the primary broker as scheduled messages
        await().atMost(HEAD_START).until(() -> !Instant.now().isBefore(duringDue.minusSeconds(1)));

        Instant killed = brokers.killPrimary();
        brokers.awaitBackupActive(Duration.ofSeconds(60));
        Duration failover = Duration.between(killed, brokers.backupActivatedAt());

        List<Long> all = new ArrayList<>(during);
        all.addAll(after);
        awaitAllSent(all, 2, HEAD_START.plusSeconds(90));
        assertDeliveredOnce(all, emails);
        List<Long> lateDuring = followerLateness(during);
        List<Long> lateAfter = followerLateness(after);
        record("broker-failover", "kill -9 of the primary broker (" + (ArtemisPair.usesShippedFiles() ? "shipped deploy/artemis files" : "generated broker.xml")
                + "): backup active after " + seconds(failover) + "; " + perBatch + " scheduled mails due " + seconds(Duration.between(killed, duringDue))
                + " after the kill sent once, late by " + range(lateDuring) + "; " + perBatch + " due " + seconds(Duration.between(killed, afterDue))
                + " after it sent once, late by " + range(lateAfter));
        // none lost or early; late at most by the failover (plus a generous margin for a slow machine)
        assertThat(lateDuring).allSatisfy(ms -> assertThat(ms).isBetween(0L, failover.plus(HEAD_START).toMillis()));
        assertThat(lateAfter).allSatisfy(ms -> assertThat(ms).isBetween(0L, HEAD_START.toMillis()));
    }

    static void awaitHeadStartsSent(List<Long> leadIds) {
        await("head starts sent").atMost(Duration.ofSeconds(60)).until(() -> db.count(
                "SELECT count(*) FROM lead_distributions WHERE lead_id = ANY(?) AND status = 'sent'", (Object) leadIds.toArray(Long[]::new)) == leadIds.size());
    }

    static Instant firstFollowerDue(List<Long> leadIds) {
        return ((Timestamp) db.row("SELECT min(scheduled_for) AS t FROM lead_distributions WHERE lead_id = ANY(?) AND status = 'pending'",
                (Object) leadIds.toArray(Long[]::new)).get("t")).toInstant();
    }

    /** How late each follower's mail went out after its scheduled time (ms), sorted. */
    static List<Long> followerLateness(List<Long> leadIds) {
        List<Long> lateness = new ArrayList<>();
        for (Map<String, Object> row : db.rows("SELECT scheduled_for, sent_at FROM lead_distributions WHERE lead_id = ANY(?) AND role <> 'head_start'",
                (Object) leadIds.toArray(Long[]::new))) {
            lateness.add(Duration.between(((Timestamp) row.get("scheduled_for")).toInstant(), ((Timestamp) row.get("sent_at")).toInstant()).toMillis());
        }
        lateness.sort(Long::compare);
        return lateness;
    }

    static String range(List<Long> ms) {
        return ms.get(0) + ".." + ms.get(ms.size() - 1) + " ms (median " + ms.get(ms.size() / 2) + " ms)";
    }

    // ------------------------------------------------------------------------------------------ helpers

    static List<GeoleadProcess> instances() {
        List<GeoleadProcess> list = new ArrayList<>();
        if (a != null) {
            list.add(a);
        }
        if (b != null) {
            list.add(b);
        }
        return list;
    }

    static void record(String key, String value) {
        measurements.put(key, value);
        System.out.println("CLUSTER " + key + ": " + value);
    }

    static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.2f s", d.toMillis() / 1000.0);
    }

    static Instant nextSlot(Instant after) {
        return nextFire(after, IMPORT_INTERVAL);
    }

    /** The next fire time of a cron "every {@code every} from :00" after {@code after}. */
    static Instant nextFire(Instant after, Duration every) {
        long ms = every.toMillis();
        return Instant.ofEpochMilli((after.toEpochMilli() / ms + 1) * ms);
    }

    static void restart(GeoleadProcess instance) {
        instance.start();
        learnQuartzInstance(instance);
    }

    static boolean clusteredQuartz() {
        return db.row("SELECT to_regclass('qrtz_scheduler_state') IS NOT NULL AS present").get("present").equals(Boolean.TRUE);
    }

    static Set<String> quartzInstances() {
        if (!clusteredQuartz()) {
            return Set.of();
        }
        return db.rows("SELECT instance_name FROM qrtz_scheduler_state").stream()
                .map(r -> (String) r.get("instance_name")).collect(Collectors.toSet());
    }

    /** Quartz's name for the instance just started: GeoleadProcess names it geolead-&lt;name&gt; (GEOLEAD_INSTANCE_ID). */
    static void learnQuartzInstance(GeoleadProcess instance) {
        if (!clusteredQuartz()) {
            return;
        }
        await(instance.name() + " checked in with Quartz").atMost(Duration.ofSeconds(30)).until(() -> {
            for (String name : quartzInstances()) {
                if (name.equals(instance.quartzId())) {
                    instance.quartzInstance = name;
                    return true;
                }
            }
            return false;
        });
    }

    static GeoleadProcess byQuartzInstance(String quartzName) {
        for (GeoleadProcess instance : instances()) {
            if (quartzName.equals(instance.quartzInstance)) {
                return instance;
            }
        }
        throw new AssertionError("no running instance is Quartz instance " + quartzName);
    }

    /**
     * The instance holding the import's trigger (it acquired the next fire: a row in qrtz_fired_triggers);
     * without clustered Quartz, the one whose import ran last.
     */
    static GeoleadProcess importHolder() {
        if (!clusteredQuartz()) {
            Map<String, List<Instant>> runs = importRuns();
            String last = runs.entrySet().stream().max((x, y) -> x.getValue().get(x.getValue().size() - 1)
                    .compareTo(y.getValue().get(y.getValue().size() - 1))).orElseThrow().getKey();
            return last.equals("a") ? a : b;
        }
        String[] holder = new String[1];
        await("an instance holding the import trigger").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<Map<String, Object>> rows = db.rows("SELECT instance_name FROM qrtz_fired_triggers WHERE trigger_name = 'dialfire-import'");
            if (rows.isEmpty()) {
                return false;
            }
            holder[0] = (String) rows.get(0).get("instance_name");
            return true;
        });
        return byQuartzInstance(holder[0]);
    }

    /** The instance whose payment check is executing (clustered Quartz: qrtz_fired_triggers). */
    static GeoleadProcess paymentCheckRunner() {
        assertThat(clusteredQuartz()).as("clustered Quartz (qrtz_fired_triggers) tells which node runs the payment check").isTrue();
        List<Map<String, Object>> rows = db.rows("SELECT instance_name FROM qrtz_fired_triggers WHERE trigger_name = 'payment-check' AND state = 'EXECUTING'");
        assertThat(rows).as("the payment check executing on one node").hasSize(1);
        return byQuartzInstance((String) rows.get(0).get("instance_name"));
    }

    /** End times of every import run, per instance name, from their logs. */
    static Map<String, List<Instant>> importRuns() {
        Map<String, List<Instant>> runs = new TreeMap<>();
        for (GeoleadProcess instance : instances()) {
            List<Instant> times = new ArrayList<>();
            for (String stamp : instance.matches(IMPORT_RUN)) {
                times.add(LocalDateTime.parse(stamp, LOG_TIME).atZone(ZoneId.systemDefault()).toInstant());
            }
            times.sort(Instant::compareTo);
            runs.put(instance.name(), times);
        }
        return runs;
    }

    /** Mails each instance logged as sent so far, over all its runs. */
    static Map<String, Integer> sentPerInstance() {
        Map<String, Integer> sent = new TreeMap<>();
        for (GeoleadProcess instance : instances()) {
            sent.put(instance.name(), instance.matches(SENT).size());
        }
        return sent;
    }

    /** {@code count} paid agents covering {@code plz}; returns their e-mails. */
    static List<String> agents(String plz, int count) {
        List<String> emails = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long customer = data.customer("Makler " + plz + " " + i, "paid");
            data.subscription(customer, plz);
            emails.add(data.email(customer));
        }
        return emails;
    }

    static List<Long> leads(String plz, int count) {
        byte[] pdf = LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", "Stadt"));
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(data.lead(plz, "Stadt", pdf));
        }
        return ids;
    }

    /** Hands the leads to distribution as the import does: one message each on geolead.leads.new. */
    static void publish(List<Long> leadIds) throws Exception {
        try (Connection connection = jms.createConnection(); Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            MessageProducer producer = session.createProducer(session.createQueue("geolead.leads.new"));
            for (long id : leadIds) {
                producer.send(session.createTextMessage(Long.toString(id)));
            }
        }
    }

    static void awaitAllSent(List<Long> leadIds, int agentsPerLead, Duration atMost) {
        Object ids = leadIds.toArray(Long[]::new);
        await("every mail sent").atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ANY(?) AND status = 'sent'", ids) == (long) leadIds.size() * agentsPerLead);
        assertThat(db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ANY(?)", ids)).isEqualTo((long) leadIds.size() * agentsPerLead);
    }

    /** GreenMail holds exactly one mail per lead and agent (the lead id is in the attachment's name). */
    static void assertDeliveredOnce(List<Long> leadIds, List<String> emails) throws Exception {
        Map<String, Integer> received = new HashMap<>();
        Set<Long> wanted = new HashSet<>(leadIds);
        for (String email : emails) {
            for (MimeMessage message : mailbox.messagesTo(email)) {
                Matcher m = ATTACHMENT.matcher(Mailbox.attachment(message).fileName());
                assertThat(m.matches()).isTrue();
                long lead = Long.parseLong(m.group(1));
                if (wanted.contains(lead)) {
                    received.merge(lead + "->" + email, 1, Integer::sum);
                }
            }
        }
        Map<String, Integer> expected = new HashMap<>();
        for (long lead : leadIds) {
            for (String email : emails) {
                expected.put(lead + "->" + email, 1);
            }
        }
        assertThat(received).as("mails per lead and agent").isEqualTo(expected);
    }

    /** Sends the leads and returns mails/s from the first message published to the last mail sent. */
    static double measureThroughput(List<Long> leadIds) throws Exception {
        Instant start = Instant.now();
        publish(leadIds);
        awaitAllSent(leadIds, 1, Duration.ofSeconds(180));
        Instant last = ((Timestamp) db.row("SELECT max(sent_at) AS t FROM lead_distributions WHERE lead_id = ANY(?)",
                (Object) leadIds.toArray(Long[]::new)).get("t")).toInstant();
        return leadIds.size() * 1000.0 / Math.max(1, Duration.between(start, last).toMillis());
    }

    /** A contact with a lead sheet on {@code plz} that turns success now; returns its $id. */
    static String successfulContact(String plz) {
        int n = contactSequence.incrementAndGet();
        String path = "leads/cluster-" + n + ".pdf";
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(Map.of("plz", plz, "ort", "Stadt")), "application/pdf");
        Map<String, String> fields = new HashMap<>();
        fields.put("vorname", "Erika");
        fields.put("nachname", "Muster" + n);
        fields.put("strasse", "Musterweg " + n);
        fields.put("plz", plz);
        fields.put("ort", "Stadt");
        fields.put("pdf_url", path);
        String id = dialfire.addContact(TASK, fields);
        dialfire.succeed(id, TASK);
        return id;
    }

    static List<Long> importedLeadIds(List<String> contacts) {
        return db.rows("SELECT id FROM leads WHERE dialfire_id = ANY(?) ORDER BY id", (Object) contacts.toArray(String[]::new)).stream()
                .map(r -> ((Number) r.get("id")).longValue()).toList();
    }

    static HttpResponse<String> postWebhook(GeoleadProcess instance, String body, String signature) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.httpPort() + "/webhooks/stripe"))
                    .header("Content-Type", "application/json").header("Stripe-Signature", signature)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
