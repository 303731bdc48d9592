package de.geolead.config;

import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import org.apache.camel.component.quartz.CamelJob;
import org.apache.camel.component.quartz.QuartzComponent;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.CronExpression;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scheduler is Quartz's clustered JDBC JobStore on the application's PostgreSQL: its tables come from the
 * migration, the routes' schedules are stored there, a changed cron or time zone counts after a restart, stale
 * schedules go at start, readiness tells who runs what, and a stored cron really fires its route.
 */
class ClusteredSchedulerTest {

    static final String IMPORT_CRON = "0 0 1 * * ?";
    static final String SWEEP_CRON = "0 7 * * * ?";
    static final String PAYMENT_CRON = "0 0 3 * * ?";
    static final String RETENTION_CRON = "0 30 4 * * ?";

    @TempDir
    Path dataDir;

    final TestDatabase db = TestDatabase.get();

    @BeforeEach
    void emptyDatabase() {
        db.reset();
    }

    /** Every quartz route started: Dialfire and Stripe settings present (nothing is called while the crons wait). */
    Map<String, String> allSchedules() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("dialfire.base.url", "http://127.0.0.1:9");
        props.put("dialfire.campaign.id", "CLUSTERCAMPAIGN");
        props.put("dialfire.campaign.token", "cluster-token");
        props.put("stripe.api.key", "sk_test_cluster");
        props.put("stripe.api.base", "http://127.0.0.1:9");
        props.put("geolead.import.cron", IMPORT_CRON);
        props.put("geolead.sweep.cron", SWEEP_CRON);
        props.put("geolead.payment.check.cron", PAYMENT_CRON);
        props.put("geolead.retention.cron", RETENTION_CRON);
        return props;
    }

    static Scheduler schedulerOf(RunningApp app) {
        return app.context().getComponent("quartz", QuartzComponent.class).getScheduler();
    }

    Map<String, String> storedCrons() {
        Map<String, String> crons = new HashMap<>();
        db.rows("SELECT trigger_name, cron_expression FROM qrtz_cron_triggers WHERE sched_name = 'geolead'")
                .forEach(row -> crons.put((String) row.get("trigger_name"), (String) row.get("cron_expression")));
        return crons;
    }

    @Test
    void theMigrationCreatesQuartzTables() {
        assertThat(db.count("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'qrtz\\_%'"))
                .isEqualTo(11);
    }

    @Test
    void eachStartedQuartzRouteStoresItsCronInTheClusteredJobStore() throws Exception {
        try (RunningApp app = RunningApp.start(dataDir, allSchedules())) {
            Scheduler scheduler = schedulerOf(app);
            assertThat(scheduler.getMetaData().isJobStoreClustered()).isTrue();
            assertThat(scheduler.getMetaData().getJobStoreClass().getSimpleName()).isEqualTo("JobStoreTX");
            assertThat(scheduler.getSchedulerName()).isEqualTo("geolead");

            assertThat(storedCrons()).isEqualTo(Map.of(
                    "dialfire-import", IMPORT_CRON,
                    "distribution-sweep", SWEEP_CRON,
                    "stripe-event-sweep", SWEEP_CRON,
                    "payment-check", PAYMENT_CRON,
                    "data-retention", RETENTION_CRON));
            assertThat(db.row("SELECT time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = 'payment-check'").get("time_zone_id"))
                    .isEqualTo("Europe/Berlin");
            // one run at a time across the cluster everywhere; only the payment check and the retention are re-run after
            // their node died
            assertThat(db.count("SELECT count(*) FROM qrtz_job_details WHERE sched_name = 'geolead' AND is_nonconcurrent")).isEqualTo(5);
            assertThat(db.rows("SELECT job_name FROM qrtz_job_details WHERE requests_recovery ORDER BY job_name"))
                    .containsExactly(Map.of("job_name", "data-retention"), Map.of("job_name", "payment-check"));
            // this instance checked in to the cluster
            assertThat(db.count("SELECT count(*) FROM qrtz_scheduler_state WHERE sched_name = 'geolead' AND instance_name = ?",
                    scheduler.getSchedulerInstanceId())).isEqualTo(1);
        }
    }

    @Test
    void aChangedCronTimeZoneOrJobOptionCountsAfterARestart() throws Exception {
        try (RunningApp app = RunningApp.start(dataDir, allSchedules())) {
            assertThat(storedCrons()).containsEntry("distribution-sweep", SWEEP_CRON);
        }
        // as stored by an older Geolead: no time zone on the payment check, not recoverable
        db.update("UPDATE qrtz_cron_triggers SET time_zone_id = 'UTC' WHERE trigger_name = 'payment-check'");
        db.update("UPDATE qrtz_job_details SET requests_recovery = false WHERE job_name = 'payment-check'");

        Map<String, String> changed = allSchedules();
        String newCron = "0 30 4 * * ?";
        changed.put("geolead.sweep.cron", newCron);
        Date before = new Date();
        try (LogCapture log = LogCapture.open(); RunningApp app = RunningApp.start(dataDir, changed)) {
            Date after = new Date();
            assertThat(storedCrons()).containsEntry("distribution-sweep", newCron).containsEntry("stripe-event-sweep", newCron);
            long next = ((Number) db.row("SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'distribution-sweep'")
                    .get("next_fire_time")).longValue();
            assertThat(next).isBetween(new CronExpression(newCron).getNextValidTimeAfter(before).getTime(),
                    new CronExpression(newCron).getNextValidTimeAfter(after).getTime());
            assertThat(schedulerOf(app).getTrigger(org.quartz.TriggerKey.triggerKey("distribution-sweep", "geolead")).getNextFireTime())
                    .isEqualTo(new Date(next));

            assertThat(db.row("SELECT time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = 'payment-check'").get("time_zone_id"))
                    .isEqualTo("Europe/Berlin");
            CronExpression berlin = new CronExpression(PAYMENT_CRON);
            berlin.setTimeZone(java.util.TimeZone.getTimeZone("Europe/Berlin"));
            long paymentNext = ((Number) db.row("SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'payment-check'")
                    .get("next_fire_time")).longValue();
            assertThat(paymentNext).isBetween(berlin.getNextValidTimeAfter(before).getTime(), berlin.getNextValidTimeAfter(after).getTime());
            assertThat(db.row("SELECT requests_recovery FROM qrtz_job_details WHERE job_name = 'payment-check'").get("requests_recovery"))
                    .isEqualTo(true);
            assertThat(log.linesContaining("now follows time zone Europe/Berlin (was UTC)")).hasSize(1);
        }
    }

    @Test
    void staleSchedulesAreRemovedAtStart() throws Exception {
        scheduleWithAPlainQuartzScheduler("old-import", "0 0 2 * * ?");
        try (RunningApp first = RunningApp.start(dataDir, allSchedules())) {
            assertThat(storedCrons()).containsKeys("dialfire-import", "payment-check", "stripe-event-sweep");
        }
        scheduleWithAPlainQuartzScheduler("renamed-before", "0 0 2 * * ?");

        // billing and import off now: their routes do not start, and the renamed route is gone
        Map<String, String> fewer = new LinkedHashMap<>();
        fewer.put("geolead.sweep.cron", SWEEP_CRON);
        try (LogCapture log = LogCapture.open(); RunningApp app = RunningApp.start(dataDir, fewer)) {
            // the retention always runs
            assertThat(storedCrons()).containsOnlyKeys("distribution-sweep", "data-retention");
            assertThat(db.rows("SELECT job_name FROM qrtz_job_details ORDER BY job_name"))
                    .containsExactly(Map.of("job_name", "data-retention"), Map.of("job_name", "distribution-sweep"));
            for (String stale : new String[] {"renamed-before", "dialfire-import", "payment-check", "stripe-event-sweep"}) {
                assertThat(log.linesContaining("removed the stale schedule geolead." + stale + " ")).as(stale).hasSize(1);
            }
        }
    }

    /** Stores a schedule as a Quartz scheduler of the same cluster would (never started: it fires nothing). */
    void scheduleWithAPlainQuartzScheduler(String name, String cron) throws Exception {
        String dataSource = "staleTest" + System.nanoTime();
        DBConnectionManager.getInstance().addConnectionProvider(dataSource, new ConnectionProvider() {
            @Override
            public Connection getConnection() throws java.sql.SQLException {
                return db.dataSource().getConnection();
            }

            @Override
            public void shutdown() {
                // the test database's pool stays open
            }

            @Override
            public void initialize() {
            }
        });
        Properties properties = ClusteredScheduler.properties(GeoleadSettings.from(key -> switch (key) {
            case "geolead.instance.id" -> "stale-writer";
            case "geolead.scheduler.checkin" -> "PT5S";
            default -> "";
        }), dataSource);
        Scheduler scheduler = new StdSchedulerFactory(properties).getScheduler();
        try {
            scheduler.scheduleJob(JobBuilder.newJob(CamelJob.class).withIdentity(name, "geolead").build(),
                    TriggerBuilder.newTrigger().withIdentity(name, "geolead").withSchedule(CronScheduleBuilder.cronSchedule(cron)).build());
        } finally {
            scheduler.shutdown();
        }
        assertThat(storedCrons()).containsEntry(name, cron);
    }

    @Test
    void readinessNamesThisInstanceTheMembersAndWhoRunsWhichJob() throws Exception {
        try (RunningApp app = RunningApp.start(dataDir, allSchedules())) {
            Scheduler scheduler = schedulerOf(app);
            String me = scheduler.getSchedulerInstanceId();
            HealthCheck check = HealthCheckRegistry.get(app.context()).getCheck("geolead-scheduler").orElseThrow();

            // another member runs the import right now
            long now = System.currentTimeMillis();
            db.update("INSERT INTO qrtz_scheduler_state (sched_name, instance_name, last_checkin_time, checkin_interval) VALUES ('geolead', 'other-node', ?, 5000)", now);
            db.update("""
                    INSERT INTO qrtz_fired_triggers (sched_name, entry_id, trigger_name, trigger_group, instance_name, fired_time,
                                                     sched_time, priority, state, job_name, job_group, is_nonconcurrent, requests_recovery)
                    VALUES ('geolead', 'other-node-1', 'dialfire-import', 'geolead', 'other-node', ?, ?, 5, 'EXECUTING',
                            'dialfire-import', 'geolead', true, false)""", now, now);

            HealthCheck.Result result = check.call();
            assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
            Map<String, Object> details = result.getDetails();
            assertThat(details.get("instance")).isEqualTo(me);
            assertThat((String) details.get("members")).contains(me + " (checked in ", "other-node (checked in " + Instant.ofEpochMilli(now));
            assertThat(details.get("dialfire-import.runningOn")).isEqualTo("other-node");
            assertThat(details.get("distribution-sweep.runningOn")).isEqualTo("none");
            assertThat(details.get("payment-check.nextFireTime"))
                    .isEqualTo(scheduler.getTrigger(org.quartz.TriggerKey.triggerKey("payment-check", "geolead")).getNextFireTime().toInstant().toString());
            db.update("DELETE FROM qrtz_fired_triggers WHERE entry_id = 'other-node-1'");

            scheduler.standby();
            HealthCheck.Result standingBy = check.call();
            assertThat(standingBy.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(standingBy.getMessage()).hasValueSatisfying(message -> assertThat(message).contains("not running"));
            scheduler.start();
            assertThat(check.call().getState()).isEqualTo(HealthCheck.State.UP);
        }
    }

    @Test
    void aCronEverySecondRunsItsRouteThroughTheJdbcStoreAlsoInARestartedApp() throws Exception {
        Map<String, String> everySecond = Map.of("geolead.sweep.cron", "0/1 * * * * ?");
        String firstInstance;
        try (RunningApp app = RunningApp.start(dataDir, everySecond)) {
            firstInstance = schedulerOf(app).getSchedulerInstanceId();
            awaitSweeps(app);
        }
        try (RunningApp restarted = RunningApp.start(dataDir, everySecond)) {
            Scheduler scheduler = schedulerOf(restarted);
            assertThat(scheduler.getSchedulerInstanceId()).isNotEqualTo(firstInstance);
            assertThat(scheduler.isStarted()).isTrue();
            awaitSweeps(restarted);
        }
    }

    @Test
    void aFireTakenAheadIsGivenBackWhenTheInstanceStops() throws Exception {
        // Quartz takes a fire up to 30 s ahead: one due in about 20 s is taken as soon as the scheduler runs
        int second = Instant.now().plusSeconds(20).atZone(java.time.ZoneOffset.UTC).getSecond();
        Map<String, String> soon = Map.of("geolead.sweep.cron", second + " * * * * ?");
        String instance;
        long due;
        try (RunningApp app = RunningApp.start(dataDir, soon)) {
            instance = schedulerOf(app).getSchedulerInstanceId();
            await().atMost(Duration.ofSeconds(90)).until(() -> db.count(
                    "SELECT count(*) FROM qrtz_fired_triggers WHERE instance_name = ? AND trigger_name = 'distribution-sweep' AND state = 'ACQUIRED'",
                    instance) == 1);
            due = previousOrNextFireTime("next_fire_time");
        }
        // given back: waiting for any instance, not held by the stopped one until its check-in lapses
        assertThat(db.row("SELECT trigger_state FROM qrtz_triggers WHERE trigger_name = 'distribution-sweep'").get("trigger_state"))
                .isEqualTo("WAITING");
        assertThat(db.count("SELECT count(*) FROM qrtz_fired_triggers WHERE instance_name = ?", instance)).isZero();
        assertThat(db.count("SELECT count(*) FROM qrtz_scheduler_state WHERE instance_name = ?", instance)).isZero();

        // Quartz itself gives a taken fire back at shutdown only if its scheduler thread wins a race (it lost it in CI):
        // the same state left behind by an instance is given back
        db.update("UPDATE qrtz_triggers SET trigger_state = 'ACQUIRED' WHERE trigger_name = 'distribution-sweep'");
        db.update("INSERT INTO qrtz_fired_triggers (sched_name, entry_id, trigger_name, trigger_group, instance_name, fired_time, "
                + "sched_time, priority, state, is_nonconcurrent, requests_recovery) "
                + "VALUES ('geolead', 'left-1', 'distribution-sweep', 'geolead', 'left-behind', 1, ?, 5, 'ACQUIRED', false, false)", due);
        db.update("INSERT INTO qrtz_scheduler_state (sched_name, instance_name, last_checkin_time, checkin_interval) "
                + "VALUES ('geolead', 'left-behind', 1, 5000)");
        assertThat(ClusteredScheduler.giveBack(db.dataSource(), "left-behind")).isEqualTo(1);
        assertThat(db.row("SELECT trigger_state FROM qrtz_triggers WHERE trigger_name = 'distribution-sweep'").get("trigger_state"))
                .isEqualTo("WAITING");
        assertThat(db.count("SELECT count(*) FROM qrtz_fired_triggers WHERE instance_name = 'left-behind'")).isZero();
        assertThat(db.count("SELECT count(*) FROM qrtz_scheduler_state WHERE instance_name = 'left-behind'")).isZero();

        try (RunningApp restarted = RunningApp.start(dataDir, soon)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> previousOrNextFireTime("prev_fire_time") >= due);
        }
    }

    long previousOrNextFireTime(String column) {
        return ((Number) db.row("SELECT coalesce(max(" + column + "), -1) AS t FROM qrtz_triggers WHERE trigger_name = 'distribution-sweep'")
                .get("t")).longValue();
    }

    /** Waits for two sweeps started by the stored trigger (its previous fire time moves in the table). */
    void awaitSweeps(RunningApp app) {
        ManagedRouteMBean sweep = app.context().getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("distribution-sweep-run");
        long startedWith = sweep.getExchangesCompleted();
        long firedBefore = previousFireTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> sweep.getExchangesCompleted() >= startedWith + 2 && previousFireTime() > firedBefore);
    }

    long previousFireTime() {
        return ((Number) db.row("SELECT coalesce(max(prev_fire_time), -1) AS t FROM qrtz_triggers WHERE trigger_name = 'distribution-sweep'")
                .get("t")).longValue();
    }
}
