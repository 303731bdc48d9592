package de.geolead.dialfire;

import de.geolead.config.GeoleadConfiguration;
import de.geolead.lead.LeadIntake;
import de.geolead.lead.LeadSheetDownload;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.support.PluginHelper;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * Test harness with the API the hand-written DialfireClient had (feed page, contacts, lead sheet), answered by the
 * real routes of routes/dialfire-import.camel.yaml and geolead-errors, with the http components wired by
 * {@link GeoleadConfiguration#configureDialfireHttp}: what the client's tests asserted now holds for the routes.
 * A Camel context per lead sheet size cap, started on first use; {@link #closeAll()} after each test.
 */
final class DialfireCalls {

    private static final List<CamelContext> OPEN = new CopyOnWriteArrayList<>();

    private final String baseUrl;
    private final String campaign;
    private final String token;
    private final int attempts;
    private final Duration backoff;
    private final Duration timeout;
    private final List<String> pdfHosts;
    private final Map<Integer, CamelContext> contexts = new HashMap<>();
    private final FeedQuery feedQuery;

    DialfireCalls(String baseUrl, String campaign, String token, int attempts, Duration backoff, Duration timeout) {
        this(baseUrl, campaign, token, attempts, backoff, timeout, List.of());
    }

    DialfireCalls(String baseUrl, String campaign, String token, int attempts, Duration backoff, Duration timeout, List<String> pdfHosts) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.campaign = campaign;
        this.token = token;
        this.attempts = attempts;
        this.backoff = backoff;
        this.timeout = timeout;
        this.pdfHosts = pdfHosts;
        this.feedQuery = new FeedQuery();
    }

    static void closeAll() {
        for (CamelContext context : OPEN) {
            context.stop();
        }
        OPEN.clear();
    }

    /** The dialfireImport bean with the page size and tasks of the call at hand. */
    static final class FeedQuery extends DialfireImport {
        volatile List<String> tasks = List.of();
        volatile int limit = 1000;

        FeedQuery() {
            super(null, List.of(), Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, 1000, Clock.systemUTC());
        }

        @Override
        public String feedQuery(ImportRun run) {
            return DialfireImport.feedQuery(run, tasks, limit);
        }
    }

    private synchronized CamelContext context(int pdfMaxBytes) {
        return contexts.computeIfAbsent(pdfMaxBytes, max -> {
            try {
                DefaultCamelContext context = new DefaultCamelContext();
                Properties props = new Properties();
                props.put("geolead.import.enabled", "true");
                props.put("dialfire.base.url", baseUrl);
                props.put("dialfire.campaign.id", campaign);
                props.put("dialfire.campaign.token", token);
                props.put("geolead.import.http.attempts", Integer.toString(Math.max(1, attempts)));
                context.getPropertiesComponent().setInitialProperties(props);
                LeadSheets leadSheets = new LeadSheets(baseUrl, campaign, pdfHosts, attempts, backoff, max);
                context.getRegistry().bind("leadSheets", leadSheets);
                context.getRegistry().bind("dialfireApi", new DialfireApi(campaign, attempts, backoff));
                context.getRegistry().bind("dialfireImport", feedQuery);
                context.getRegistry().bind("leadIntake", new LeadIntake(null, "plz", "pdf_url", Duration.ZERO, Clock.systemUTC()));
                context.getRegistry().bind("importWorkers", Executors.newSingleThreadExecutor());
                GeoleadConfiguration.configureDialfireHttp(context, leadSheets, baseUrl, token, timeout, max);
                // the scheduled route is not needed here
                context.getCamelContextExtension().getContextPlugin(Model.class).setRouteFilterPattern(null, "dialfire-import");
                for (String file : List.of("routes/route-configurations.camel.yaml", "routes/dialfire-import.camel.yaml")) {
                    PluginHelper.getRoutesLoader(context).loadRoutes(PluginHelper.getResourceLoader(context).resolveResource("classpath:" + file));
                }
                context.addRoutes(new RouteBuilder() {
                    @Override
                    public void configure() {
                        // as the run calls them: under geolead-errors, which redelivers and gives up
                        from("direct:calls-transactions").routeConfigurationId("geolead-errors").to("direct:dialfire-fetch-transactions");
                        from("direct:calls-contacts").routeConfigurationId("geolead-errors").to("direct:dialfire-fetch-contacts");
                        from("direct:calls-lead-sheet").to("direct:dialfire-lead-sheet");
                    }
                });
                context.start();
                OPEN.add(context);
                return context;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private Exchange call(String endpoint, Object body, ImportRun run, int pdfMaxBytes) {
        Exchange exchange = context(pdfMaxBytes).createProducerTemplate().send(endpoint, e -> {
            e.getMessage().setBody(body);
            e.setProperty("importRun", run);
        });
        Exception failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        return exchange;
    }

    /** One page (at most {@code limit} transactions) of the feed between {@code from} and {@code to}, after {@code cursor}. */
    TransactionPage transactions(Instant from, Instant to, String cursor, List<String> taskPrefixes, int limit) {
        feedQuery.tasks = List.copyOf(taskPrefixes);
        feedQuery.limit = limit;
        ImportRun run = new ImportRun(from, to);
        run.resumeAfter(cursor);
        CapturingRun capture = new CapturingRun();
        call("direct:calls-transactions", null, run, 0);
        return capture.page(run);
    }

    /** The flat contacts for these ids (the route asks {@value DialfireApi#FLAT_VIEW_BATCH} at a time). */
    List<DialfireContact> contacts(List<String> ids) {
        ImportRun run = new ImportRun(Instant.now(), Instant.now());
        List<TransactionPage.Pointer> pointers = new ArrayList<>();
        ids.forEach(id -> pointers.add(new TransactionPage.Pointer(Instant.now(), id)));
        run.page(new TransactionPage(pointers, ""));
        call("direct:calls-contacts", null, run, 0);
        return run.getPageContacts();
    }

    LeadSheetDownload leadSheet(String reference, int maxBytes) {
        return call("direct:calls-lead-sheet", reference, null, maxBytes).getMessage().getBody(LeadSheetDownload.class);
    }

    /** The wait before attempt {@code attempt + 1} as the route sets it ({@code CamelRedeliveryDelay}). */
    Duration delay(int attempt, Optional<String> retryAfter) {
        return Duration.ofMillis(new DialfireApi(campaign, attempts, backoff).retryDelay(retryAfter.orElse(null), attempt == 1 ? null : attempt - 1));
    }

    /** What the run took in from the feed, as a page again. */
    private static final class CapturingRun {
        TransactionPage page(ImportRun run) {
            List<TransactionPage.Pointer> pointers = new ArrayList<>();
            run.pageContactIds().forEach(id -> pointers.addAll(run.pagePointersOf(id)));
            return new TransactionPage(pointers, run.cursor());
        }
    }
}
