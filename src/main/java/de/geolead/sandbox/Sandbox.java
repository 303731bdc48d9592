package de.geolead.sandbox;

import de.geolead.GeoleadApplication;
import de.geolead.api.ApiTokens;
import de.geolead.console.ConsoleUsers;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole pipeline on one machine: the real application with its real routes, against a Dialfire
 * simulator, a local SMTP server that keeps every mail as an .eml file, and a Stripe stand-in whose events
 * reach the real webhook route signed with a sandbox secret. Started only by {@code geolead.jar sandbox};
 * a production start never touches this package.
 */
public final class Sandbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("sandbox");
    static final String CAMPAIGN = "SANDBOXCAMPAIGN1";
    static final String TASK = "anrufen";

    /** How the sandbox runs; {@link #defaults()} is what the README command uses. */
    public record Options(Path dataDir, Duration headStart, String importCron, Duration newContactEvery, int httpPort) {
        public static Options defaults() {
            String dir = System.getenv().getOrDefault("GEOLEAD_DATA_DIR", "./data");
            return new Options(Path.of(dir).resolve("sandbox"), Duration.ofSeconds(30), "0/10 * * * * ?", Duration.ofSeconds(20), 8080);
        }
    }

    /** A sample homeowner: fields for Dialfire and the lead sheet. plzInField/plzInPdf may be empty. */
    record Homeowner(String vorname, String nachname, String strasse, String plzInField, String plzInPdf, String ort, String status) {}

    private final Options options;
    private final String webhookSecret = "whsec_sandbox_" + token(8);
    private final String stripeKey = "sk_sandbox_" + token(8);
    private final String consolePassword = token(9);
    private final String adminToken = token(24);
    private final String linkSecret = token(32);
    /** GEOLEAD_DATA_KEYS of the sandbox: contacts and lead sheets are stored encrypted, as they should be in production. */
    private final String dataKeys = "sandbox:" + dataKey();
    /** The sample return's credit in the sandbox (GEOLEAD_RETURN_CREDIT_CENTS). */
    static final int RETURN_CREDIT_CENTS = 2500;
    private volatile boolean sampleReturnDone;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sandbox");
        t.setDaemon(true);
        return t;
    });
    private final Deque<Homeowner> later = new ArrayDeque<>();
    private SandboxSmtpServer smtp;
    private DialfireSimulator dialfire;
    private SandboxStripe stripe;
    private Main app;
    private DataSource db;
    private String lastProgress = "";

    private Sandbox(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Duration duration = null;
        for (String arg : args) {
            if (arg.startsWith("--duration=")) {
                duration = parseDuration(arg.substring("--duration=".length()));
            } else {
                throw new IllegalArgumentException("Unknown sandbox option " + arg + " (use --duration=90s)");
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        Sandbox sandbox = start(Options.defaults());
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        if (duration == null) {
            LOG.info("[sandbox] running until Ctrl-C");
            stop.await();
        } else {
            stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        }
        System.out.println();
        System.out.println(SandboxReport.text(sandbox.report()));
        System.out.println(SandboxReport.returnsText(sandbox.returns()));
        sandbox.close();
        System.exit(0);
    }

    /** "90s", "2m" or an ISO-8601 duration. */
    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase();
        if (t.matches("\\d+s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.matches("\\d+m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        return Duration.parse(text);
    }

    public static Sandbox start(Options options) throws Exception {
        Sandbox sandbox = new Sandbox(options);
        try {
            sandbox.startUp();
            return sandbox;
        } catch (Exception e) {
            sandbox.close();
            throw e;
        }
    }

    private void startUp() throws Exception {
        wipe(options.dataDir());
        Files.createDirectories(options.dataDir());
        Path outbox = outbox();
        smtp = SandboxSmtpServer.start(0, outbox);
        String dialfireToken = token(12);
        dialfire = DialfireSimulator.start(0, CAMPAIGN, dialfireToken);
        stripe = SandboxStripe.start(0, stripeKey);
        Path consoleUsers = options.dataDir().resolve("console-users.properties");
        Files.writeString(consoleUsers, ConsoleUsers.line("sandbox", consolePassword.toCharArray(), List.of("viewer")) + "\n");
        Path apiTokens = options.dataDir().resolve("api-tokens");
        Files.writeString(apiTokens, ApiTokens.line("sandbox-admin", "admin", adminToken.toCharArray()) + "\n");

        Map<String, String> props = new HashMap<>();
        props.put("geolead.data.dir", options.dataDir().toString());
        props.put("geolead.db.url", "");
        props.put("geolead.broker.url", "");
        props.put("geolead.http.port", Integer.toString(options.httpPort()));
        props.put("geolead.http.bind", "127.0.0.1");
        props.put("dialfire.base.url", dialfire.baseUrl());
        props.put("dialfire.campaign.id", CAMPAIGN);
        props.put("dialfire.campaign.token", dialfireToken);
        props.put("geolead.import.cron", options.importCron());
        props.put("geolead.import.lookback", "PT1H");
        props.put("smtp.host", "127.0.0.1");
        props.put("smtp.port", Integer.toString(smtp.port()));
        props.put("smtp.from", "leads@geolead-sandbox.local");
        props.put("stripe.api.key", stripeKey);
        props.put("stripe.api.base", stripe.apiBase());
        props.put("stripe.webhook.secret", webhookSecret);
        props.put("geolead.head.start", options.headStart().toString());
        props.put("geolead.delivery.window", "00:00-24:00");
        props.put("geolead.mail.backoff", "PT1S");
        props.put("geolead.console.users.file", consoleUsers.toString());
        props.put("geolead.payment.check.cron", "0 0 3 * * ?");
        props.put("geolead.api.tokens.file", apiTokens.toString());
        props.put("geolead.return.credit.cents", Integer.toString(RETURN_CREDIT_CENTS));
        props.put("geolead.link.secret", linkSecret);
        props.put("geolead.public.url", "http://127.0.0.1:" + options.httpPort());
        props.put("geolead.data.keys", dataKeys);
        app = GeoleadApplication.newMain(null);
        props.forEach(app::addOverrideProperty);
        app.start();
        db = app.getCamelContext().getRegistry().lookupByNameAndType("dataSource", DataSource.class);
        app.getCamelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/sandbox?httpMethodRestrict=GET").routeId("sandbox-report")
                        .process(exchange -> {
                            exchange.getMessage().setHeader("Content-Type", "text/html; charset=utf-8");
                            exchange.getMessage().setBody(SandboxReport.html(SandboxReport.rows(db), SandboxReport.returns(db)));
                        });
            }
        });
        LOG.info("[sandbox] started: table at http://127.0.0.1:{}/sandbox, mails in {}, Hawtio at http://127.0.0.1:8081/hawtio/ (user sandbox, password {})",
                options.httpPort(), outbox.toAbsolutePath(), consolePassword);
        LOG.info("[sandbox] operations API: admin token {} (Authorization: Bearer …) - page http://127.0.0.1:{}/admin/, API document http://127.0.0.1:{}/api/openapi.json",
                adminToken, options.httpPort(), options.httpPort());

        seedAgents();
        seedHomeowners();
        long every = options.newContactEvery().toMillis();
        timer.scheduleAtFixedRate(this::nextContact, every, every, TimeUnit.MILLISECONDS);
        // during the first leads' head start: that agent's follower mails will be skipped
        timer.schedule(this::failOneInvoice, options.headStart().toMillis() / 2, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(this::progress, 2, 2, TimeUnit.SECONDS);
        timer.scheduleWithFixedDelay(this::sampleReturn, 3, 2, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ agents via Stripe webhooks

    private void seedAgents() throws Exception {
        agent("cus_schmidt", "Immobilien Schmidt", "schmidt@makler-sandbox.de", "sub_schmidt_10115", "10115", "active");
        agent("cus_spree", "Spree Wohnen Makler", "kontakt@spree-wohnen-sandbox.de", "sub_spree_10115", "10115", "active");
        agent("cus_hauptstadt", "Hauptstadt Immobilien", "info@hauptstadt-sandbox.de", "sub_hauptstadt_10115", "10115", "active");
        agent("cus_bayern", "Bayern Makler (PLZ 80…)", "service@bayern-makler-sandbox.de", "sub_bayern_80", "80", "active");
        agent("cus_rhein", "Rhein Immobilien", "buero@rhein-sandbox.de", "sub_rhein_50667", "50667", "past_due");
        awaitCount("SELECT count(*) FROM subscriptions", 5, Duration.ofSeconds(30));
        LOG.info("[sandbox] billing: 5 agents subscribed through signed Stripe webhooks (3 on 10115, one on prefix 80, one past_due on 50667)");
    }

    private void agent(String customer, String name, String email, String subscription, String plz, String status) throws Exception {
        stripe.putCustomer(customer, name, email);
        stripe.putSubscription(subscription, customer, status, plz);
        webhook("evt_checkout_" + customer, "checkout.session.completed", stripe.checkoutSessionJson("cs_" + customer, customer, subscription));
        webhook("evt_created_" + subscription, "customer.subscription.created", stripe.subscriptionJson(subscription));
    }

    private void failOneInvoice() {
        try {
            stripe.setSubscriptionStatus("sub_hauptstadt_10115", "past_due");
            webhook("evt_invoice_failed_hauptstadt", "invoice.payment_failed",
                    stripe.invoiceJson("in_hauptstadt_1", "cus_hauptstadt", "sub_hauptstadt_10115", "open"));
            LOG.info("[sandbox] billing: the invoice of Hauptstadt Immobilien failed, Stripe says past_due: no more leads for them");
        } catch (Exception e) {
            LOG.warn("[sandbox] could not send the failed-invoice event: {}", e.getMessage());
        }
    }

    private void webhook(String eventId, String type, String object) throws IOException, InterruptedException {
        String event = SandboxStripe.event(eventId, type, object);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + options.httpPort() + "/webhooks/stripe"))
                .header("Content-Type", "application/json")
                .header("Stripe-Signature", SandboxStripe.signatureHeader(event, webhookSecret))
                .POST(HttpRequest.BodyPublishers.ofString(event)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("webhook " + type + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    // ------------------------------------------------------------------ a return (Reklamation) through the API

    /**
     * Once the first mail is sent: its agent returns the lead (filed through the API over HTTP, as the admin page or
     * a curl would), and the admin approves it; the abuse guard asks for force first (one return of one lead), then
     * the approval credits the agent in the Stripe stand-in.
     */
    private void sampleReturn() {
        if (sampleReturnDone) {
            return;
        }
        try {
            long[] mail = firstSentMail();
            if (mail == null) {
                return;
            }
            sampleReturnDone = true;
            HttpResponse<String> filed = api("POST", "/api/leads/" + mail[0] + "/returns",
                    "{\"customerId\": " + mail[1] + ", \"reason\": \"wrong_data\", \"note\": \"Sandbox: Telefonnummer nicht vergeben\"}");
            if (filed.statusCode() != 201) {
                LOG.warn("[sandbox] returns: filing answered {}: {}", filed.statusCode(), filed.body());
                return;
            }
            String id = filed.body().replaceAll("(?s)^\\{\"id\":(\\d+).*", "$1");
            LOG.info("[sandbox] returns: agent {} returned lead {} (wrong_data): return {}", mail[1], mail[0], id);
            HttpResponse<String> guarded = api("POST", "/api/returns/" + id + "/approve", "{}");
            LOG.info("[sandbox] returns: approving return {} answered {}: {}", id, guarded.statusCode(), guarded.body());
            HttpResponse<String> approved = api("POST", "/api/returns/" + id + "/approve",
                    "{\"force\": true, \"note\": \"Sandbox: geprüft, Gutschrift\"}");
            LOG.info("[sandbox] returns: approving return {} with force answered {}: {}", id, approved.statusCode(), approved.body());
        } catch (Exception e) {
            LOG.warn("[sandbox] returns: the sample return failed: {}", e.toString());
        }
    }

    /** {lead id, customer id} of the first sent mail, or null while none is sent. */
    private long[] firstSentMail() throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT lead_id, customer_id FROM lead_distributions WHERE status = 'sent' AND kind <> 'resend' ORDER BY sent_at, id LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
        }
    }

    private HttpResponse<String> api(String method, String path, String json) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + options.httpPort() + path))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + adminToken)
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The generated admin token of the operations API (printed at start). */
    public String adminToken() {
        return adminToken;
    }

    public List<SandboxReport.ReturnRow> returns() {
        return SandboxReport.returns(db);
    }

    // ------------------------------------------------------------------ homeowners in Dialfire

    private void seedHomeowners() {
        List<Homeowner> now = List.of(
                new Homeowner("Erika", "Mustermann", "Invalidenstraße 12", "10115", "10115", "Berlin", "success"),
                new Homeowner("Sabine", "Huber", "Marienplatz 8", "80331", "80331", "München", "success"),
                new Homeowner("Klaus", "Becker", "Hohe Straße 3", "50667", "50667", "Köln", "success"),
                new Homeowner("Petra", "Wagner", "Chausseestraße 21", "", "10115", "Berlin", "success"),
                new Homeowner("Jürgen", "Koch", "Am Markt 1", "", "", "Irgendwo", "success"),
                new Homeowner("Monika", "Schulz", "Torstraße 99", "10115", "10115", "Berlin", "declined"));
        now.forEach(this::contact);
        later.addAll(List.of(
                new Homeowner("Hans", "Meier", "Brunnenstraße 7", "10115", "10115", "Berlin", "success"),
                new Homeowner("Anna", "Fischer", "Leopoldstraße 40", "80802", "80802", "München", "success"),
                new Homeowner("Thomas", "Weber", "Linienstraße 2", "10115", "10115", "Berlin", "success")));
        LOG.info("[sandbox] dialfire: 6 contacts (5 success: one PLZ only in its PDF, one without any PLZ; 1 declined), {} more over time", later.size());
    }

    private void nextContact() {
        Homeowner next = later.poll();
        if (next != null) {
            contact(next);
            LOG.info("[sandbox] dialfire: {} {} ({}) just reached success", next.vorname(), next.nachname().charAt(0) + ".", next.ort());
        }
    }

    private void contact(Homeowner h) {
        Map<String, String> sheet = new HashMap<>(Map.of("vorname", h.vorname(), "nachname", h.nachname(), "strasse", h.strasse(),
                "ort", h.ort(), "plz", h.plzInPdf()));
        String path = "leads/" + h.nachname().toLowerCase() + ".pdf";
        dialfire.putResource(path, LeadSheetPdfGenerator.leadSheet(sheet), "application/pdf");
        String id = dialfire.addContact(TASK, Map.of("vorname", h.vorname(), "nachname", h.nachname(), "strasse", h.strasse(),
                "plz", h.plzInField(), "ort", h.ort(), "pdf_url", path));
        dialfire.moveTo(id, TASK, h.status());
    }

    // ------------------------------------------------------------------ progress and table

    private void progress() {
        try {
            String line = "[sandbox] import: " + count("SELECT count(*) FROM leads") + " leads ("
                    + count("SELECT count(*) FROM leads WHERE status = 'unroutable'") + " unroutable, "
                    + count("SELECT count(*) FROM leads WHERE status = 'unassigned'") + " unassigned) | distribution: "
                    + count("SELECT count(*) FROM lead_distributions") + " mails planned | delivery: "
                    + count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") + " sent, "
                    + count("SELECT count(*) FROM lead_distributions WHERE status = 'skipped'") + " skipped | outbox: "
                    + smtp.count() + " .eml";
            if (!line.equals(lastProgress)) {
                lastProgress = line;
                LOG.info(line);
            }
        } catch (Exception e) {
            LOG.debug("progress: {}", e.getMessage());
        }
    }

    public List<SandboxReport.Row> report() {
        return SandboxReport.rows(db);
    }

    /** {@code <data dir>/sandbox/outbox}: one .eml file per mail sent. */
    public Path outbox() {
        return options.dataDir().resolve("outbox");
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void awaitCount(String sql, long expected, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (count(sql) < expected) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("sandbox set-up timed out waiting for " + sql);
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (app != null) {
            app.stop();
        }
        for (AutoCloseable closeable : new AutoCloseable[] {stripe, dialfire, smtp}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                LOG.debug("closing: {}", e.getMessage());
            }
        }
    }

    /** A fresh 32-byte key, base64 (as {@code openssl rand -base64 32} makes one). */
    private static String dataKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return java.util.Base64.getEncoder().encodeToString(key);
    }

    private static String token(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return java.util.HexFormat.of().formatHex(random);
    }

    private static void wipe(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
