package de.geolead.config;

import com.zaxxer.hikari.HikariDataSource;
import de.geolead.db.Database;
import org.apache.camel.CamelContext;
import org.apache.camel.DelegateEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.quartz.CamelJob;
import org.apache.camel.component.quartz.QuartzComponent;
import org.apache.camel.component.quartz.QuartzEndpoint;
import org.apache.camel.component.quartz.QuartzHelper;
import org.apache.camel.component.quartz.StatefulCamelJob;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.service.ServiceSupport;
import org.quartz.CronScheduleBuilder;
import org.quartz.CronTrigger;
import org.quartz.Job;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerKey;
import org.quartz.impl.matchers.GroupMatcher;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TimeZone;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One scheduler for all Geolead instances on the same PostgreSQL: camel-quartz on Quartz's clustered JDBC JobStore
 * (tables from migration V9). Every instance joins the cluster {@value #NAME}; each fire of a cron runs on one of them,
 * and a job whose instance died is taken over by another one after its check-in lapsed.
 * <p>
 * At start, before the scheduler runs, the stored schedules are brought in line with the routes started here:
 * schedules no started route uses (renamed or removed routes, stages switched off) are removed, a changed
 * {@code trigger.timeZone} and changed job options ({@code stateful}, {@code recoverableJob}) are stored
 * (camel-quartz itself only notices a changed cron). Every instance must therefore run the same routes and settings.
 */
public final class ClusteredScheduler extends ServiceSupport implements ExtendedStartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(ClusteredScheduler.class);

    /** The scheduler's name, the same on every instance: it is the cluster (column {@code sched_name}). */
    public static final String NAME = "geolead";
    /** Jobs that may run at once on one instance: the five schedules (import, two sweeps, payment check, retention). */
    static final int THREADS = 5;
    /** Quartz's own pool: a connection per worker thread plus the scheduler, misfire and cluster threads. */
    static final int CONNECTIONS = THREADS + 3;

    /** Each app gets its own name in Quartz's JVM-wide connection registry (tests start apps one after another). */
    private static final AtomicInteger DATA_SOURCES = new AtomicInteger();

    private final CamelContext context;
    private final QuartzComponent quartz;
    private final Duration checkin;
    private final DataSource dataSource;

    private ClusteredScheduler(CamelContext context, QuartzComponent quartz, Duration checkin, DataSource dataSource) {
        this.context = context;
        this.quartz = quartz;
        this.checkin = checkin;
        this.dataSource = dataSource;
    }

    /**
     * Points the quartz component at the clustered JobStore on {@code jdbcUrl} (with the app's user and password)
     * and takes over starting the scheduler, so that stale schedules are gone before it fires anything.
     */
    public static ClusteredScheduler configure(CamelContext context, GeoleadSettings settings, String jdbcUrl,
                                               DataSource appDataSource) throws Exception {
        String dataSourceName = "geoleadQuartz" + DATA_SOURCES.incrementAndGet();
        // the pool opens on first use and is closed by Quartz when the scheduler shuts down; the password never
        // enters Quartz's properties (camel-quartz logs those at DEBUG)
        HikariDataSource pool = new HikariDataSource();
        Infrastructure.poolConfig("geolead-quartz", jdbcUrl, settings, CONNECTIONS).copyStateTo(pool);
        DBConnectionManager.getInstance().addConnectionProvider(dataSourceName, new Pool(pool));

        QuartzComponent quartz = context.getComponent("quartz", QuartzComponent.class);
        quartz.setPrefixInstanceName(false);
        quartz.setProperties(properties(settings, dataSourceName));
        quartz.setAutoStartScheduler(false);

        ClusteredScheduler scheduler = new ClusteredScheduler(context, quartz, settings.schedulerCheckin(), appDataSource);
        context.addStartupListener(scheduler);
        context.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextStopping(CamelContext stopping) {
                scheduler.stopFiring();
            }
        });
        // a context service: stopped after the routes
        context.addService(scheduler, true, true);
        return scheduler;
    }

    /** The Quartz properties of a clustered JDBC JobStore whose connections come from {@code dataSourceName}. */
    static Properties properties(GeoleadSettings settings, String dataSourceName) {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", NAME);
        p.setProperty("org.quartz.scheduler.instanceId", settings.instanceId());
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(THREADS));
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", dataSourceName);
        p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(settings.schedulerCheckin().toMillis()));
        p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
        return p;
    }

    /** This instance's scheduler, or null before the quartz component started. */
    public Scheduler scheduler() {
        return quartz.getScheduler();
    }

    /** How often this instance checks in to the cluster. */
    public Duration checkin() {
        return checkin;
    }

    @Override
    public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
        // the routes have added their schedules; the scheduler starts once the context has fully started
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) throws Exception {
        Scheduler scheduler = quartz.getScheduler();
        if (scheduler == null || scheduler.isStarted()) {
            return;
        }
        reconcile(scheduler);
        scheduler.start();
        LOG.info("Scheduler started: instance {} of cluster {}, check-in every {}", scheduler.getSchedulerInstanceId(), NAME, checkin);
    }

    /** Makes the stored schedules those of the quartz routes started on this instance. */
    private void reconcile(Scheduler scheduler) throws SchedulerException {
        Map<TriggerKey, QuartzEndpoint> started = new LinkedHashMap<>();
        for (Route route : context.getRoutes()) {
            Endpoint endpoint = route.getEndpoint();
            if (endpoint instanceof DelegateEndpoint delegate) {
                endpoint = delegate.getEndpoint();
            }
            ServiceStatus status = context.getRouteController().getRouteStatus(route.getRouteId());
            if (endpoint instanceof QuartzEndpoint quartzEndpoint && status != null && status.isStarted()) {
                started.put(quartzEndpoint.getTriggerKey(), quartzEndpoint);
            }
        }
        for (TriggerKey key : scheduler.getTriggerKeys(GroupMatcher.anyTriggerGroup())) {
            if (!started.containsKey(key)) {
                scheduler.unscheduleJob(key);
                LOG.info("Scheduler: removed the stale schedule {} (no route started on this instance uses it)", key);
            }
        }
        for (JobKey key : scheduler.getJobKeys(GroupMatcher.anyJobGroup())) {
            if (!started.containsKey(TriggerKey.triggerKey(key.getName(), key.getGroup()))) {
                scheduler.deleteJob(key);
                LOG.info("Scheduler: removed the stale job {} (no route started on this instance uses it)", key);
            }
        }
        for (QuartzEndpoint endpoint : started.values()) {
            storeJobOptions(scheduler, endpoint);
            storeTimeZone(scheduler, endpoint);
        }
    }

    /** camel-quartz keeps a stored job as it is: store this route's job class, recovery and endpoint. */
    private void storeJobOptions(Scheduler scheduler, QuartzEndpoint endpoint) throws SchedulerException {
        TriggerKey triggerKey = endpoint.getTriggerKey();
        JobDetail stored = scheduler.getJobDetail(JobKey.jobKey(triggerKey.getName(), triggerKey.getGroup()));
        if (stored == null) {
            return;
        }
        Class<? extends Job> type = endpoint.isStateful() ? StatefulCamelJob.class : CamelJob.class;
        JobDetail wanted = stored.getJobBuilder().ofType(type).requestRecovery(endpoint.isRecoverableJob())
                .storeDurably(endpoint.isDurableJob()).build();
        QuartzHelper.updateJobDataMap(context, wanted, endpoint.getEndpointUri(), endpoint.isUsingFixedCamelContextName());
        if (endpoint.getCron() != null) {
            wanted.getJobDataMap().put("CamelQuartzTriggerCronExpression", endpoint.getCron());
        }
        boolean same = stored.getJobClass().equals(type)
                && stored.requestsRecovery() == wanted.requestsRecovery()
                && stored.isDurable() == wanted.isDurable()
                && stored.getJobDataMap().equals(wanted.getJobDataMap());
        if (!same) {
            scheduler.addJob(wanted, true, true);
            LOG.info("Scheduler: job {} stored as this route has it (one run at a time {}, recoverable {})",
                    wanted.getKey(), endpoint.isStateful(), endpoint.isRecoverableJob());
        }
    }

    /** camel-quartz only notices a changed cron expression: store a changed {@code trigger.timeZone} too. */
    private void storeTimeZone(Scheduler scheduler, QuartzEndpoint endpoint) throws SchedulerException {
        if (endpoint.getCron() == null || !(scheduler.getTrigger(endpoint.getTriggerKey()) instanceof CronTrigger stored)) {
            return;
        }
        Map<String, Object> parameters = endpoint.getTriggerParameters();
        Object zone = parameters == null ? null : parameters.get("timeZone");
        TimeZone wanted = zone == null ? TimeZone.getDefault()
                : zone instanceof TimeZone timeZone ? timeZone : TimeZone.getTimeZone(zone.toString());
        if (stored.getTimeZone().getID().equals(wanted.getID())) {
            return;
        }
        Trigger updated = stored.getTriggerBuilder()
                .withSchedule(CronScheduleBuilder.cronSchedule(endpoint.getCron()).withMisfireHandlingInstructionFireAndProceed()
                        .inTimeZone(wanted))
                .startNow()
                .build();
        Date next = scheduler.rescheduleJob(stored.getKey(), updated);
        LOG.info("Scheduler: {} now follows time zone {} (was {}), next fire {}", stored.getKey(), wanted.getID(),
                stored.getTimeZone().getID(), next == null ? "none" : next.toInstant());
    }

    /**
     * Leaves the cluster before the routes stop: camel-quartz would shut the scheduler down only after them, and a
     * fire taken in between would find no route and be lost for the whole cluster. Jobs running here finish first.
     * Quartz takes fires up to 30 s ahead and keeps them taken when it shuts down; they are given back at once
     * ({@link #giveBack}), so another instance (or this one restarted) fires them on time instead of after this
     * instance's check-in lapsed. Also shuts down a scheduler camel-quartz left running (a later app in this JVM would
     * be handed it: Quartz keeps one scheduler per name and JVM).
     */
    void stopFiring() {
        Scheduler scheduler = quartz.getScheduler();
        try {
            if (scheduler != null && !scheduler.isShutdown()) {
                String instance = scheduler.getSchedulerInstanceId();
                scheduler.shutdown(true);
                int given = giveBack(dataSource, instance);
                LOG.info("Scheduler: instance {} left cluster {}{}", instance, NAME,
                        given == 0 ? "" : ", gave back " + given + " fire(s) it had taken");
            }
        } catch (SchedulerException | DataAccessException e) {
            LOG.warn("Scheduler could not be shut down cleanly: {}", e.getMessage());
        }
    }

    /**
     * After this instance's scheduler shut down: the fires it had taken but not fired go back to waiting (what Quartz's
     * cluster recovery does for a dead instance), under Quartz's trigger lock, and its cluster membership ends when
     * nothing of it is left. Returns how many fires were given back.
     */
    static int giveBack(DataSource dataSource, String instance) {
        Database db = new Database(dataSource);
        return db.inTransaction(() -> {
            db.sql().sql("SELECT 1 FROM qrtz_locks WHERE sched_name = ? AND lock_name = 'TRIGGER_ACCESS' FOR UPDATE")
                    .param(NAME).query(Integer.class).list();
            int given = db.sql().sql("""
                    UPDATE qrtz_triggers t SET trigger_state = 'WAITING'
                      FROM qrtz_fired_triggers f
                     WHERE f.sched_name = t.sched_name AND f.trigger_name = t.trigger_name AND f.trigger_group = t.trigger_group
                       AND f.sched_name = ? AND f.instance_name = ? AND f.state = 'ACQUIRED' AND t.trigger_state = 'ACQUIRED'""")
                    .params(NAME, instance).update();
            db.sql().sql("DELETE FROM qrtz_fired_triggers WHERE sched_name = ? AND instance_name = ? AND state = 'ACQUIRED'")
                    .params(NAME, instance).update();
            db.sql().sql("DELETE FROM qrtz_scheduler_state WHERE sched_name = ? AND instance_name = ? AND NOT EXISTS "
                            + "(SELECT 1 FROM qrtz_fired_triggers WHERE sched_name = ? AND instance_name = ?)")
                    .params(NAME, instance, NAME, instance).update();
            return given;
        });
    }

    @Override
    protected void doStop() {
        stopFiring();
    }

    /** Quartz's connections: a pool of its own on the application's database. */
    private record Pool(HikariDataSource pool) implements ConnectionProvider {
        @Override
        public Connection getConnection() throws SQLException {
            return pool.getConnection();
        }

        @Override
        public void shutdown() {
            pool.close();
        }

        @Override
        public void initialize() {
            // the pool opens on first use
        }
    }
}
