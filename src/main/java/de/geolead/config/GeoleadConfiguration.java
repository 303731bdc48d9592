package de.geolead.config;

import com.stripe.StripeClient;
import com.stripe.net.Webhook;
import de.geolead.billing.BillingStore;
import de.geolead.billing.PaymentCheck;
import de.geolead.billing.StripeEventProcessor;
import de.geolead.billing.StripeEventSweep;
import de.geolead.billing.StripeSubscriptions;
import de.geolead.billing.StripeWebhook;
import de.geolead.billing.WebhookRateLimit;
import de.geolead.admin.AdminDoor;
import de.geolead.admin.AdminForms;
import de.geolead.admin.AdminSessions;
import de.geolead.admin.AdminViews;
import de.geolead.admin.ApiAnswers;
import de.geolead.api.ApiAuth;
import de.geolead.api.ApiTokens;
import de.geolead.api.AuditLog;
import de.geolead.console.HawtioConsole;
import de.geolead.customers.CustomerControls;
import de.geolead.customers.CustomerView;
import de.geolead.db.Database;
import de.geolead.delivery.DeliveryService;
import de.geolead.delivery.LeadMailComposer;
import de.geolead.delivery.MailRetry;
import de.geolead.delivery.SmtpConnections;
import de.geolead.dialfire.DialfireApi;
import de.geolead.dialfire.DialfireImport;
import de.geolead.dialfire.ImportWatermarks;
import de.geolead.dialfire.LeadSheets;
import de.geolead.dialfire.PdfSources;
import de.geolead.dialfire.ResponseGuard;
import de.geolead.dialfire.TokenGuard;
import de.geolead.distribution.DelayMode;
import de.geolead.distribution.DeliveryWindow;
import de.geolead.distribution.DistributionPlanner;
import de.geolead.distribution.DistributionStore;
import de.geolead.distribution.DistributionSweep;
import de.geolead.distribution.LeadDistribution;
import de.geolead.distribution.MonthlyCap;
import de.geolead.distribution.Replanning;
import de.geolead.lead.LeadIntake;
import de.geolead.privacy.Anonymiser;
import de.geolead.privacy.DataCipher;
import de.geolead.privacy.DataKeys;
import de.geolead.privacy.LeadContents;
import de.geolead.privacy.LeadSealer;
import de.geolead.privacy.Retention;
import de.geolead.receipts.ReceiptKey;
import de.geolead.receipts.ReceiptVerifier;
import de.geolead.receipts.Receipts;
import de.geolead.lead.LeadRepository;
import de.geolead.leadview.LeadView;
import de.geolead.leadactions.LeadActions;
import de.geolead.returns.ReturnDesk;
import de.geolead.returns.ReturnLinkPages;
import de.geolead.returns.ReturnLinks;
import de.geolead.returns.StripeCredits;
import de.geolead.subjects.DataSubjects;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.Timeout;
import org.apache.camel.component.mail.MailComponent;
import org.apache.camel.component.mail.MailConfiguration;
import org.apache.camel.component.micrometer.MicrometerTimerAction;
import org.eclipse.angus.mail.util.MailStreamProvider;
import jakarta.mail.util.StreamProvider;
import org.apache.camel.spi.Registry;
import org.apache.camel.health.HealthCheckRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import de.geolead.ops.BusinessMetrics;
import de.geolead.ops.ImportFreshness;
import de.geolead.ops.ReadinessChecks;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The one place where Geolead is wired: reads the settings, opens database and broker,
 * and binds the beans the YAML routes call by name.
 */
public class GeoleadConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GeoleadConfiguration.class);

    /** Route placeholder that switches the Dialfire import on or off. */
    static final String IMPORT_ENABLED = "geolead.import.enabled";
    /**
     * Route placeholder that switches the mail delivery on or off; like {@code geolead.smtp.endpoint} it is declared in
     * application.properties with a safe default and set here at start-up from the SMTP settings.
     */
    static final String DELIVERY_ENABLED = "geolead.delivery.enabled";

    /** Connect timeout of an SMTP attempt. */
    static final Duration SMTP_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Read and write timeout of each SMTP reply and write. */
    static final Duration SMTP_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Server replies one attempt waits for at most: RSET on a kept connection (SmtpConnections), then on a new one the
     * greeting, EHLO, STARTTLS, EHLO again, AUTH (up to 3), MAIL, RCPT, DATA, end of data, QUIT. With the timeouts above
     * an attempt whose server keeps answering takes at most 10 s + 13 × 30 s = 6 min 40 s (plus the data transfer); the
     * lease (GEOLEAD_MAIL_LEASE, default 10 min) must be longer.
     */
    static final int SMTP_REPLIES_PER_ATTEMPT = 13;

    /** Connect and read timeout of a Stripe API request. */
    static final Duration STRIPE_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration STRIPE_READ_TIMEOUT = Duration.ofSeconds(30);
    /** stripe-java's longest wait between two network retries (HttpClient.maxNetworkRetriesDelay). */
    static final Duration STRIPE_MAX_RETRY_DELAY = Duration.ofSeconds(5);
    /** Stripe API calls one event makes at most: the subscription and the customer behind it. */
    static final int STRIPE_CALLS_PER_EVENT = 2;

    /**
     * How long an attempt at a Stripe event holds it ({@code stripe_events.processing_until}): twice the longest chain
     * of Stripe calls of one event, at least 10 minutes. One call: GEOLEAD_STRIPE_RETRIES + 1 requests of up to
     * 10 s + 30 s with stripe-java's waits (at most 5 s) between them, plus Geolead's 429 waits (backoff, doubled per
     * retry). Defaults (3 retries, 1 s): 2 × (4 × 40 s + 3 × 5 s + 7 s) = 6 min 4 s, so the lease is 12 min 8 s.
     */
    static Duration stripeEventLease(int retries, Duration backoff) {
        Duration call = STRIPE_CONNECT_TIMEOUT.plus(STRIPE_READ_TIMEOUT).multipliedBy(retries + 1L)
                .plus(STRIPE_MAX_RETRY_DELAY.multipliedBy(retries))
                .plus(backoff.multipliedBy((1L << Math.min(retries, 10)) - 1));
        Duration lease = call.multipliedBy(STRIPE_CALLS_PER_EVENT * 2L);
        return lease.compareTo(Duration.ofMinutes(10)) < 0 ? Duration.ofMinutes(10) : lease;
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        GeoleadSettings settings = GeoleadSettings.from(key -> context.getPropertiesComponent().resolveProperty(key).orElse(""));
        LOG.info("Geolead configuration: {}", settings.describe());
        // the keys first: a malformed GEOLEAD_DATA_KEYS or GEOLEAD_RECEIPT_KEY stops the start with one line naming it,
        // before the database and broker are opened
        DataKeys dataKeys = setting(() -> DataKeys.parse(settings.dataKeys()));
        ReceiptKey receiptKey = setting(() -> ReceiptKey.load(settings.receiptKey(), settings.dataDir()));

        Infrastructure infrastructure = Infrastructure.open(settings);
        // a context service: stopped after the routes, so consumers never outlive their broker or database
        context.addService(infrastructure, true, true);

        Registry registry = context.getRegistry();
        registry.bind("geoleadSettings", settings);
        registry.bind("infrastructure", infrastructure);
        registry.bind("dataSource", infrastructure.dataSource());
        registry.bind("jmsConnectionFactory", infrastructure.connectionFactory());
        context.getComponent("jms", JmsComponent.class).setConnectionFactory(infrastructure.connectionFactory());
        ClusteredScheduler scheduler = ClusteredScheduler.configure(context, settings, infrastructure.jdbcUrl(), infrastructure.dataSource());

        configureDataProtection(registry, settings, infrastructure.database(), dataKeys, receiptKey);
        boolean importEnabled = configureDialfire(context, registry, settings, infrastructure.database());

        DeliveryWindow window = DeliveryWindow.parse(settings.deliveryWindow(), settings.deliveryZone());
        DistributionPlanner planner = new DistributionPlanner(settings.headStart(), DelayMode.parse(settings.delayMode()), window);
        Database database = infrastructure.database();
        MonthlyCap monthlyCap = new MonthlyCap(settings.deliveryZone(), Clock.systemUTC());
        registry.bind("monthlyCap", monthlyCap);
        StripeClient stripeClient = stripeClient(settings);
        // the API's door and audit log first: the returns, lead actions, agents and admin page use them
        AuditLog audit = configureOperationsApi(registry, settings, database);
        // data-subject requests (POST /api/data-subjects/export|erasure): the API's audit log records who asked
        registry.bind("dataSubjects", new DataSubjects(database, registry.lookupByNameAndType("leadContents", LeadContents.class),
                registry.lookupByNameAndType("anonymiser", Anonymiser.class), audit, Clock.systemUTC()));
        ReturnLinks returnLinks = configureReturns(registry, settings, database, stripeClient, audit);
        DistributionStore distributionStore = new DistributionStore(database, monthlyCap);
        registry.bind("leadDistribution", new LeadDistribution(planner, distributionStore, Clock.systemUTC()));
        registry.bind("replanning", new Replanning(distributionStore, window, Clock.systemUTC()));
        registry.bind("distributionSweep", new DistributionSweep(database, settings.unassignedRetry(),
                settings.sweepGrace(), 500));
        registry.bind("deliveryService", new DeliveryService(database, window,
                new LeadMailComposer(settings.templatesDir(), settings.deliveryZone()), settings.smtpFrom(), Clock.systemUTC(),
                new MailRetry(settings.mailBackoff(), settings.mailMaxBackoff(), settings.mailRetryFor(), settings.mailLease()),
                returnLinks, registry.lookupByNameAndType("leadContents", LeadContents.class),
                registry.lookupByNameAndType("receipts", Receipts.class)));
        configureMail(context, settings);
        configureBilling(context, registry, settings, infrastructure, stripeClient);
        // the Hawtio console on its own port: starts with the context, stops before the infrastructure
        context.addService(HawtioConsole.of(settings.console()), true, true);
        configureOperations(context, settings, infrastructure, scheduler, importEnabled);
        configureLeadView(registry, settings, database);
        configureAdminPage(registry, settings);
        configureLeadActions(registry, database, audit);
        configureCustomers(registry, settings, database, monthlyCap);
    }

    /** A test binds a {@link Clock} under this name before the start to move the admin page's session time. */
    static final String ADMIN_CLOCK = "adminClock";

    /**
     * The admin page (routes/admin-page.camel.yaml): its sessions (in memory of this instance), the door (login,
     * CSRF and Origin checks, on the API's apiAuth), the forms, the views and how it takes the API's answers.
     */
    private static void configureAdminPage(Registry registry, GeoleadSettings settings) {
        Clock clock = registry.lookupByNameAndType(ADMIN_CLOCK, Clock.class);
        AdminSessions sessions = new AdminSessions(settings.adminSessionIdle(), settings.adminSessionMax(),
                clock == null ? Clock.systemUTC() : clock);
        registry.bind("adminSessions", sessions);
        registry.bind("adminDoor", new AdminDoor(registry.lookupByNameAndType("apiAuth", ApiAuth.class), sessions,
                settings.trustedProxies()));
        registry.bind("adminForms", new AdminForms());
        registry.bind("adminViews", new AdminViews(settings.deliveryZone()));
        registry.bind("adminApiAnswers", new ApiAnswers());
        // as platform-http's own, but the admin page's Cache-Control: no-store goes out (its default drops it)
        HttpHeaderFilterStrategy headers = new HttpHeaderFilterStrategy();
        headers.getOutFilter().remove("cache-control");
        registry.bind("adminHeaderFilter", headers);
    }

    /** Reading leads through the operations API (GET /api/leads, GET /api/leads/{id}): bean leadView. */
    private static void configureLeadView(Registry registry, GeoleadSettings settings, Database database) {
        registry.bind("leadView", new LeadView(database, settings.deliveryZone(), registry.lookupByNameAndType("leadContents", LeadContents.class)));
    }

    /** The operations API's actions on one lead: resend, assign, park, unpark (de.geolead.leadactions). */
    private static void configureLeadActions(Registry registry, Database database, AuditLog audit) {
        registry.bind("leadActions", new LeadActions(database, audit));
    }

    /**
     * The agent controls of the operations API (stream customers): the agents' list and detail, pause and monthly cap.
     * Needs the API's audit log (configureOperationsApi) and the distribution's monthly cap (its month).
     */
    private static void configureCustomers(Registry registry, GeoleadSettings settings, Database database, MonthlyCap monthlyCap) {
        AuditLog audit = registry.lookupByNameAndType("auditLog", AuditLog.class);
        registry.bind("customerView", new CustomerView(database, monthlyCap));
        registry.bind("customerControls", new CustomerControls(database, audit, settings.deliveryZone(), Clock.systemUTC()));
    }

    /**
     * The operations API (routes/operations-api.camel.yaml): its tokens and audit log. Without GEOLEAD_API_TOKENS_FILE,
     * or with one that cannot be read, the API is off: every /api call answers 503 api_off.
     */
    private static AuditLog configureOperationsApi(Registry registry, GeoleadSettings settings, Database database) {
        ApiTokens tokens = null;
        Path file = settings.apiTokensFile();
        if (file == null) {
            LOG.info("Operations API is off: set GEOLEAD_API_TOKENS_FILE (lines from: java -jar geolead.jar api-token NAME ROLE TOKEN)");
        } else {
            try {
                tokens = ApiTokens.read(file);
                LOG.info("Operations API on /api with {} token(s) from {}", tokens.size(), file);
            } catch (IOException e) {
                LOG.error("Operations API is off: GEOLEAD_API_TOKENS_FILE={} cannot be read ({})", file, e.getMessage());
            }
        }
        registry.bind("apiAuth", new ApiAuth(tokens));
        AuditLog audit = new AuditLog(database);
        registry.bind("auditLog", audit);
        return audit;
    }

    /** Reads a setting that does not parse as a {@link SettingError}: one line at start-up, no stack trace. */
    private static <T> T setting(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new SettingError(e.getMessage());
        }
    }

    /**
     * Data protection (issue 13, package de.geolead.privacy): the read path of homeowner data and the erasure that
     * retention and data-subject requests share; the keys the contact and the PDF are sealed with (a malformed
     * GEOLEAD_DATA_KEYS stops the start, one WARN per start without it); the retention (routes/data-protection.camel.yaml).
     */
    private static void configureDataProtection(Registry registry, GeoleadSettings settings, Database database,
                                                DataKeys dataKeys, ReceiptKey receiptKey) {
        DataCipher cipher = new DataCipher(dataKeys);
        if (cipher.enabled()) {
            LOG.info("Contacts and lead sheets are stored encrypted (AES-256-GCM) with key '{}'; keys read: {}",
                    cipher.currentKeyId(), cipher.keys().ids());
        } else {
            LOG.warn("Contacts and lead sheets are stored UNENCRYPTED: set GEOLEAD_DATA_KEYS (keyid:base64key, a key from "
                    + "'openssl rand -base64 32') to encrypt them at rest");
        }
        LeadContents leadContents = new LeadContents(database, cipher);
        Anonymiser anonymiser = new Anonymiser(database);
        registry.bind("leadSealer", new LeadSealer(database, cipher));
        registry.bind("leadContents", leadContents);
        registry.bind("anonymiser", anonymiser);
        registry.bind("retention", new Retention(database, anonymiser, settings.retention(), Clock.systemUTC()));
        // signed delivery receipts
        Receipts receipts = new Receipts(database, receiptKey, Clock.systemUTC());
        registry.bind("receipts", receipts);
        registry.bind("receiptVerifier", new ReceiptVerifier(receipts.key(), receipts));
    }

    /**
     * The Dialfire import: its beans, the http components its routes call Dialfire with, the redelivery settings of
     * {@code geolead-errors} and whether it starts at all (not without its settings, and not with a token that would
     * travel in clear text). Returns whether the import runs.
     */
    private static boolean configureDialfire(CamelContext context, Registry registry, GeoleadSettings settings, Database db) {
        LeadSheets leadSheets = new LeadSheets(settings.dialfireBaseUrl(), settings.dialfireCampaignId(), settings.dialfirePdfHosts(),
                settings.importHttpAttempts(), settings.importHttpBackoff(), settings.importPdfMaxBytes());
        registry.bind("leadSheets", leadSheets);
        registry.bind("dialfireApi", new DialfireApi(settings.dialfireCampaignId(), settings.importHttpAttempts(), settings.importHttpBackoff()));
        registry.bind("dialfireImport", new DialfireImport(new ImportWatermarks(db),
                settings.dialfireTasks(), settings.importLookback(), settings.importOverlap(), settings.importRescan(), settings.importRescanEvery(), settings.importPageSize(),
                Clock.systemUTC()));
        registry.bind("leadIntake", new LeadIntake(new LeadRepository(db, registry.lookupByNameAndType("leadSealer", LeadSealer.class)),
                settings.dialfirePlzField(), settings.dialfirePdfField(), settings.dialfireConsentField(), settings.pdfRetryFor(),
                Clock.systemUTC(), registry.lookupByNameAndType("leadContents", LeadContents.class)));
        registry.bind("importWorkers", context.getExecutorServiceManager()
                .newFixedThreadPool(GeoleadConfiguration.class, "dialfire-import", settings.importWorkers()));

        List<String> missing = settings.missingDialfireSettings();
        Optional<String> unsafe = missing.isEmpty() ? DialfireApi.baseUrlProblem(settings.dialfireBaseUrl()) : Optional.empty();
        boolean importEnabled = missing.isEmpty() && unsafe.isEmpty();
        context.getPropertiesComponent().addOverrideProperty(IMPORT_ENABLED, Boolean.toString(importEnabled));
        if (!missing.isEmpty()) {
            LOG.warn("Dialfire import is NOT started: set {} (everything else runs)", String.join(", ", missing));
        } else if (unsafe.isPresent()) {
            LOG.error("Dialfire import is NOT started: {}", unsafe.get());
        } else {
            configureDialfireHttp(context, leadSheets, settings.dialfireBaseUrl(), settings.dialfireCampaignToken(),
                    settings.importHttpTimeout(), settings.importPdfMaxBytes());
        }
        return importEnabled;
    }

    /**
     * The http and https components the Dialfire routes call with: GEOLEAD_IMPORT_HTTP_TIMEOUT to connect, per read
     * and for a whole answer ({@link ResponseGuard}), answers capped in size, no redirects followed and no retries of
     * their own (the route decides), the campaign token only to the Dialfire API ({@link TokenGuard}) and no
     * connection to an address {@link PdfSources} refuses (checked on the address actually connected to).
     * Only the Dialfire import uses camel-http today; another user would want its own component.
     */
    public static void configureDialfireHttp(CamelContext context, LeadSheets leadSheets, String baseUrl, String token,
                                             Duration timeout, long pdfMaxBytes) {
        URI base = URI.create(baseUrl.replaceAll("/+$", ""));
        TokenGuard tokenGuard = new TokenGuard(base, token);
        ResponseGuard responseGuard = new ResponseGuard(base, leadSheets.campaignPath(), pdfMaxBytes, timeout);
        for (String scheme : List.of("http", "https")) {
            HttpComponent http = context.getComponent(scheme, HttpComponent.class);
            http.setClientConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                    .setDnsResolver(leadSheets.sources().dnsResolver())
                    .setDefaultConnectionConfig(ConnectionConfig.custom()
                            .setConnectTimeout(Timeout.of(timeout))
                            .setSocketTimeout(Timeout.of(timeout))
                            .build())
                    .setMaxConnTotal(50)
                    .setMaxConnPerRoute(20)
                    .build());
            http.setConnectionRequestTimeout(timeout.toMillis());
            http.setConnectTimeout(timeout.toMillis());
            http.setSoTimeout(timeout.toMillis());
            http.setResponseTimeout(timeout.toMillis());
            http.setFollowRedirects(false);
            http.setRedirectHandlingDisabled(true);
            http.setHttpClientConfigurer(builder -> builder
                    .disableRedirectHandling()
                    .disableAutomaticRetries()
                    // the caps count the bytes on the wire: no decompression after them
                    .disableContentCompression()
                    .addRequestInterceptorLast(tokenGuard)
                    .addExecInterceptorFirst(ResponseGuard.NAME, responseGuard));
        }
    }

    /** Readiness checks (database, broker, recent import, scheduler) and the business metrics read from the database. */
    private static void configureOperations(CamelContext context, GeoleadSettings settings, Infrastructure infrastructure,
                                            ClusteredScheduler scheduler, boolean importEnabled) throws Exception {
        ImportFreshness freshness = new ImportFreshness(ImportFreshness.intervalOf(settings.get("geolead.import.cron"), Instant.now()));
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        ReadinessChecks.all(infrastructure.dataSource(), infrastructure.connectionFactory(), freshness, importEnabled, Clock.systemUTC())
                .forEach(health::register);
        health.register(ReadinessChecks.scheduler(scheduler::scheduler, ClusteredScheduler.NAME, scheduler.checkin(),
                infrastructure.dataSource(), Clock.systemUTC()));
        context.addStartupListener((ctx, alreadyStarted) -> {
            MeterRegistry meters = ctx.getRegistry().findSingleByType(MeterRegistry.class);
            if (meters != null) {
                BusinessMetrics.register(meters, infrastructure.dataSource());
                EmbeddedBroker broker = infrastructure.embeddedBroker();
                BusinessMetrics.registerDeadLetters(meters, EmbeddedBroker.DEAD_LETTER_QUEUES,
                        broker == null ? null : broker::messageCount, infrastructure.connectionFactory());
            }
        });
    }

    /** The route that processes one stored Stripe event by its type (routes/stripe-webhook.camel.yaml). */
    static final String STRIPE_EVENT_ROUTE = "direct:stripe-event";
    /** Set from Java at start-up (declared with a safe default in application.properties). */
    static final String WEBHOOK_ENABLED = "geolead.webhook.enabled";
    static final String BILLING_ENABLED = "geolead.billing.enabled";

    /** The one Stripe client: billing reads subscriptions with it, returns book credits with it. */
    private static StripeClient stripeClient(GeoleadSettings settings) {
        return StripeClient.builder()
                .setApiKey(settings.stripeApiKey().isEmpty() ? "sk_unset" : settings.stripeApiKey())
                .setApiBase(settings.stripeApiBase())
                // the builder's default is 0: no retry at all
                .setMaxNetworkRetries(settings.stripeRetries())
                .setConnectTimeout((int) STRIPE_CONNECT_TIMEOUT.toMillis())
                .setReadTimeout((int) STRIPE_READ_TIMEOUT.toMillis())
                .build();
    }

    /**
     * Returns (Reklamation): the API's rules (bean returnDesk), the Stripe credit of an approval (with the billing's
     * client; none without STRIPE_API_KEY) and the signed links in the lead mails with their pages (bean
     * returnLinkPages). Returns the link maker the delivery puts into each mail; without GEOLEAD_LINK_SECRET and
     * GEOLEAD_PUBLIC_URL it makes none (one line says so).
     */
    private static ReturnLinks configureReturns(Registry registry, GeoleadSettings settings, Database database, StripeClient stripe,
                                                AuditLog audit) {
        ReturnLinks links = new ReturnLinks(settings.linkSecret(), settings.publicUrl(), settings.returnWindow(), Clock.systemUTC());
        ReturnLinks.whyOff(settings.linkSecret(), settings.publicUrl()).ifPresentOrElse(
                why -> LOG.info("Return links are off (no link in the lead mails, /r/ answers 404): {}", why),
                () -> LOG.info("Return links on: {}/r/<token>, valid {} after the mail", settings.publicUrl(), settings.returnWindow()));
        StripeCredits credits = settings.stripeApiKey().isEmpty() ? null : new StripeCredits(stripe);
        if (credits == null && settings.returnCreditCents() > 0) {
            LOG.warn("Returns are approved without a Stripe credit: set STRIPE_API_KEY (GEOLEAD_RETURN_CREDIT_CENTS={})",
                    settings.returnCreditCents());
        }
        ReturnDesk desk = new ReturnDesk(database, audit, credits, settings.returnWindow(),
                settings.returnMaxRate(), settings.returnCreditCents(), Clock.systemUTC());
        registry.bind("returnDesk", desk);
        registry.bind("returnLinkPages", new ReturnLinkPages(links, desk, settings.deliveryZone()));
        return links;
    }

    /** Webhook receiver, event processor and daily check with the Stripe client; each part runs once its secret is set. */
    private static void configureBilling(CamelContext context, Registry registry, GeoleadSettings settings, Infrastructure infrastructure,
                                         StripeClient client) {
        BillingStore store = new BillingStore(infrastructure.database(),
                stripeEventLease(settings.stripeRetries(), settings.stripeBackoff()));
        StripeSubscriptions stripe = new StripeSubscriptions(client, settings.stripeRetries(), settings.stripeBackoff());
        registry.bind("stripeWebhook", new StripeWebhook(settings.stripeWebhookSecret(), Webhook.DEFAULT_TOLERANCE, Clock.systemUTC(), store));
        registry.bind("webhookRateLimit", new WebhookRateLimit(settings.webhookRateLimit(), Clock.systemUTC(), settings.trustedProxies()));
        StripeEventProcessor processor = new StripeEventProcessor(stripe, store);
        registry.bind("stripeEventProcessor", processor);
        // the sweep processes an event as a queued one is: through the route stripe-event, which dispatches on its type
        org.apache.camel.ProducerTemplate events = context.createProducerTemplate();
        StripeEventSweep.Processing viaRoute = eventId -> events.requestBody(STRIPE_EVENT_ROUTE, eventId, String.class);
        registry.bind("stripeEventSweep", new StripeEventSweep(viaRoute, store, settings.stripeEventRetryFor(), settings.sweepGrace(), 500));
        registry.bind("paymentCheck", new PaymentCheck(stripe, store, processor, settings.checkoutLookback(), Clock.systemUTC()));

        boolean webhook = !settings.stripeWebhookSecret().isEmpty();
        boolean api = !settings.stripeApiKey().isEmpty();
        context.getPropertiesComponent().addOverrideProperty(WEBHOOK_ENABLED, Boolean.toString(webhook));
        context.getPropertiesComponent().addOverrideProperty(BILLING_ENABLED, Boolean.toString(api));
        if (!webhook) {
            LOG.warn("Stripe webhook is NOT started: set STRIPE_WEBHOOK_SECRET");
        }
        if (!api) {
            LOG.warn("Stripe event processing and the daily payment check are NOT started: set STRIPE_API_KEY");
        }
    }

    /**
     * SMTP credentials, STARTTLS and timeouts on the smtp component, whose connections are kept open between mails
     * (SmtpConnections, GEOLEAD_SMTP_IDLE_TIMEOUT; closed when the context stops); the longest attempt against the lease.
     */
    private static void configureMail(CamelContext context, GeoleadSettings settings) {
        // Jakarta Mail 2.1 finds its StreamProvider with a ServiceLoader scan of the class path (every jar's entries) for
        // every body part it creates and every header it decodes: about 8 % of the delivery's CPU. Named, it is one
        // Class.forName. JVM-wide, and only if nobody named one already.
        if (System.getProperty(StreamProvider.class.getName()) == null) {
            System.setProperty(StreamProvider.class.getName(), MailStreamProvider.class.getName());
        }
        // the route times each send with micrometer:timer:geolead.mail.send?action=start|stop; camel-micrometer converts
        // that action from String to its enum on every call, and with no converter registered for the pair Camel's type
        // converter searches all of its converters each time (TypeConvertible.match; ~7 % of the delivery's sampled CPU)
        context.getTypeConverterRegistry().addTypeConverter(MicrometerTimerAction.class, String.class, new TimerActionConverter());
        SmtpConnections connections = new SmtpConnections(settings.smtpIdleTimeout());
        MailConfiguration smtp = connections.configuration(context);
        context.getComponent("smtp", MailComponent.class).setConfiguration(smtp);
        context.getRegistry().bind("smtpConnections", connections);
        try {
            context.addService(connections, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("Starting the SMTP connections failed", e);
        }
        if (!settings.smtpUser().isEmpty()) {
            smtp.setUsername(settings.smtpUser());
            smtp.setPassword(settings.smtpPassword());
        }
        Properties javaMail = new Properties();
        javaMail.setProperty("mail.smtp.starttls.enable", Boolean.toString(settings.smtpStartTls()));
        javaMail.setProperty("mail.smtp.starttls.required", Boolean.toString(settings.smtpStartTls()));
        javaMail.setProperty("mail.smtp.connectiontimeout", Long.toString(SMTP_CONNECT_TIMEOUT.toMillis()));
        javaMail.setProperty("mail.smtp.timeout", Long.toString(SMTP_TIMEOUT.toMillis()));
        javaMail.setProperty("mail.smtp.writetimeout", Long.toString(SMTP_TIMEOUT.toMillis()));
        // a kept connection is checked with RSET before its next mail (also clears any half-done transaction)
        javaMail.setProperty("mail.smtp.userset", "true");
        // TCP_NODELAY: no Nagle wait for the server's delayed ACK between the pieces of a mail (SmtpConnections)
        javaMail.put("mail.smtp.socketFactory", new SmtpConnections.NoDelaySocketFactory());
        smtp.setAdditionalJavaMailProperties(javaMail);

        Duration longestAttempt = SMTP_CONNECT_TIMEOUT.plus(SMTP_TIMEOUT.multipliedBy(SMTP_REPLIES_PER_ATTEMPT));
        if (settings.mailLease().compareTo(longestAttempt) <= 0) {
            LOG.warn("GEOLEAD_MAIL_LEASE={} is not longer than the longest SMTP attempt ({}): the sweep may send a mail again "
                    + "while its slow attempt is still alive", settings.mailLease(), longestAttempt);
        }
        if (System.getenv("GEOLEAD_MAIL_ATTEMPTS") != null) {
            LOG.warn("GEOLEAD_MAIL_ATTEMPTS is retired and ignored: transient SMTP trouble is retried for GEOLEAD_MAIL_RETRY_FOR={}",
                    settings.mailRetryFor());
        }

        List<String> missing = settings.missingSmtpSettings();
        context.getPropertiesComponent().addOverrideProperty(DELIVERY_ENABLED, Boolean.toString(missing.isEmpty()));
        // the endpoint must resolve even when the delivery route stays off
        context.getPropertiesComponent().addOverrideProperty("geolead.smtp.endpoint", missing.isEmpty()
                ? "smtp://" + settings.smtpHost() + ":" + settings.get("smtp.port") : "smtp://smtp-not-configured.invalid:25");
        if (!missing.isEmpty()) {
            LOG.warn("Mail delivery is NOT started: set {} (planned mails wait in the queue)", String.join(", ", missing));
        }
    }

    /** "start" / "stop" (any case, as Camel's own enum conversion) to camel-micrometer's timer action; null for anything else. */
    static final class TimerActionConverter extends org.apache.camel.support.TypeConverterSupport {
        @Override
        public <T> T convertTo(Class<T> type, org.apache.camel.Exchange exchange, Object value) {
            String name = value.toString().trim();
            for (MicrometerTimerAction action : MicrometerTimerAction.values()) {
                if (action.name().equalsIgnoreCase(name)) {
                    return type.cast(action);
                }
            }
            return null;
        }
    }
}
