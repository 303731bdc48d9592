package de.geolead.faults;

import de.geolead.sandbox.SandboxStripe;
import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import de.geolead.testing.ApiClient;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 9, item 12: the whole pipeline (Dialfire import, distribution, delivery over SMTP, Stripe webhooks and
 * their processing) with known homeowner and agent data, and not one of those values in the log output from
 * start to stop (every logger, at the levels the app logs, and de.geolead at DEBUG), nor in a status reason.
 * Issue 13, item 6: the same run with the data protection switched on — contacts and PDFs encrypted
 * (GEOLEAD_DATA_KEYS, whose key must not be logged either), a contact without consent parked, a data-subject export
 * and erasure asked with the phone number and e-mail in other spellings, a receipt verified, the retention run — and
 * neither the logs nor the Prometheus metrics carry any of those values.
 * The stand-ins' own loggers (Dialfire simulator, Stripe stand-in, GreenMail) are not the application's.
 */
@Tag("faults")
class HomeownerDataStaysOutOfLogsTest {

    static final String CAMPAIGN = "PRIVACYCAMPAIGN1";
    static final String TOKEN = "privacy-token";
    static final String SECRET = "whsec_privacy";
    static final String STRIPE_KEY = "sk_test_privacy";
    /** GEOLEAD_DATA_KEYS of the run: its key must never be logged. */
    static final String DATA_KEY = java.util.Base64.getEncoder().encodeToString(
            "privacy-test-key-0123456789abcde".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    static final String CONSENT_FIELD = "einwilligung";

    /** A homeowner as Dialfire has them; every value is unique enough to be found in a log line. */
    record Homeowner(String vorname, String nachname, String strasse, String plzField, String plzInPdf, String ort,
                     String phone, String email, String pdfPath) {}

    static final Homeowner BERLIN = new Homeowner("Waltraud", "Quirinius", "Zypressenweg 17", "10115", "10115", "Berlin",
            "+49 30 98765432", "waltraud.quirinius@privat-post.test", "leads/quirinius.pdf");
    static final Homeowner MUENCHEN = new Homeowner("Ottokar", "Brennecke", "Lindwurmstraße 204", "80331", "80331", "München",
            "+49 89 55512399", "ottokar.brennecke@privat-post.test", "leads/brennecke.pdf");
    /** Unroutable: the PLZ field holds a street name, the PDF no PLZ. */
    static final Homeowner GARBAGE_PLZ = new Homeowner("Hiltrud", "Vogelsang", "Ahornallee 5", "Ahornallee 5", "", "Irgendwo",
            "+49 40 77788866", "hiltrud.vogelsang@privat-post.test", "leads/vogelsang.pdf");
    /** Its PDF is not where pdf_url says (404); the path names the homeowner. */
    static final Homeowner BROKEN_PDF = new Homeowner("Gisbert", "Pfannenstiel", "Kastanienhof 3", "10115", "10115", "Berlin",
            "+49 30 44433322", "gisbert.pfannenstiel@privat-post.test", "leads/pfannenstiel-kastanienhof-3.pdf");
    /** A malformed pdf_url, imported in a second run after the pipeline has delivered. */
    static final Homeowner MALFORMED_PDF = new Homeowner("Rosemarie", "Dunkelberg", "Birkenstieg 8", "80331", "80331", "München",
            "+49 89 12121299", "rosemarie.dunkelberg@privat-post.test", "http:///dunkelberg-birkenstieg.pdf");
    /** Did not consent to be passed on (DIALFIRE_CONSENT_FIELD): parked no_consent, imported in the second run. */
    static final Homeowner NO_CONSENT = new Homeowner("Friedbert", "Kuckelkorn", "Holunderpfad 11", "10115", "10115", "Berlin",
            "+49 30 31415926", "friedbert.kuckelkorn@privat-post.test", "leads/kuckelkorn.pdf");

    record Agent(String customer, String subscription, String name, String email, String plz) {}

    static final List<Agent> AGENTS = List.of(
            new Agent("cus_priv_a", "sub_priv_a", "Makler Adalbert Sturmhaube", "adalbert.sturmhaube@makler-privat.test", "10115"),
            new Agent("cus_priv_b", "sub_priv_b", "Maklerin Berenike Tausendschoen", "berenike.tausendschoen@makler-privat.test", "10115"),
            new Agent("cus_priv_c", "sub_priv_c", "Makler Cornelius Eisvogel", "cornelius.eisvogel@makler-privat.test", "80331"));

    /** Loggers of the stand-ins (not the application): what they log is not what ops of Geolead read. */
    static final List<String> STAND_INS = List.of("de.geolead.simulator", "de.geolead.sandbox", "com.icegreen");

    @TempDir
    Path dataDir;

    final TestDatabase db = TestDatabase.get();
    final HttpClient http = HttpClient.newHttpClient();
    int port;

    @Test
    void noHomeownerOrAgentDataInTheLogsOrStatusReasonsOfAWholeRun() throws Exception {
        db.reset();
        port = RunningApp.freePort();
        Level before = LogManager.getLogger("de.geolead").getLevel();
        List<String> lines;
        String metrics;
        try (Mailbox mailbox = new Mailbox();
             DialfireSimulator dialfire = DialfireSimulator.start(0, CAMPAIGN, TOKEN);
             SandboxStripe stripe = SandboxStripe.start(0, STRIPE_KEY)) {
            Configurator.setLevel("de.geolead", Level.DEBUG);
            try (LogCapture log = LogCapture.open()) {
                try (RunningApp app = RunningApp.start(dataDir, settings(mailbox, dialfire, stripe))) {
                    runThePipeline(app, mailbox, dialfire, stripe);
                    secondCheckoutWithAKnownEmail(stripe, log);
                    dataProtection(app, mailbox);
                    metrics = metrics(app);
                }
                lines = log.linesWithExceptions();
            }
        } finally {
            Configurator.setLevel("de.geolead", before);
        }

        List<String> appLines = lines.stream().filter(line -> STAND_INS.stream().noneMatch(prefix -> line.split(" ", 3)[1].startsWith(prefix))).toList();
        assertThat(appLines).as("the capture saw the run").anySatisfy(line -> assertThat(line).contains("sent"));
        List<String> leaks = new ArrayList<>();
        for (String line : appLines) {
            String lower = line.toLowerCase(Locale.ROOT);
            for (String value : forbidden()) {
                if (lower.contains(value.toLowerCase(Locale.ROOT))) {
                    leaks.add("[" + value + "] " + line);
                }
            }
        }

        List<String> reasons = new ArrayList<>();
        db.rows("SELECT status_reason AS r FROM leads WHERE status_reason IS NOT NULL").forEach(r -> reasons.add((String) r.get("r")));
        db.rows("SELECT status_reason AS r FROM lead_distributions WHERE status_reason IS NOT NULL").forEach(r -> reasons.add((String) r.get("r")));
        db.rows("SELECT reason AS r FROM stripe_events WHERE reason IS NOT NULL").forEach(r -> reasons.add((String) r.get("r")));
        List<String> leakingReasons = reasons.stream().filter(reason -> forbidden().stream()
                .anyMatch(value -> reason.toLowerCase(Locale.ROOT).contains(value.toLowerCase(Locale.ROOT)))).toList();
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(leaks).as("log lines with homeowner or agent data").isEmpty();
        softly.assertThat(reasons).as("parked and skipped rows have reasons").hasSizeGreaterThanOrEqualTo(3);
        softly.assertThat(leakingReasons).as("status reasons with homeowner or agent data").isEmpty();
        softly.assertThat(metrics).as("the metrics were read").contains("geolead_retention_erased_total");
        softly.assertThat(forbidden()).as("values in the Prometheus metrics")
                .noneMatch(value -> metrics.toLowerCase(Locale.ROOT).contains(value.toLowerCase(Locale.ROOT)));
        softly.assertAll();
    }

    private Map<String, String> settings(Mailbox mailbox, DialfireSimulator dialfire, SandboxStripe stripe) {
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.put("geolead.http.port", Integer.toString(port));
        props.put("dialfire.base.url", dialfire.baseUrl());
        props.put("dialfire.campaign.id", CAMPAIGN);
        props.put("dialfire.campaign.token", TOKEN);
        props.put("stripe.api.key", STRIPE_KEY);
        props.put("stripe.api.base", stripe.apiBase());
        props.put("stripe.webhook.secret", SECRET);
        props.put("geolead.stripe.backoff", "PT0.1S");
        props.put("geolead.payment.check.cron", RunningApp.NEVER);
        props.put("geolead.head.start", "PT3S");
        props.put("geolead.mail.backoff", "PT0.2S");
        props.put("geolead.data.keys", "k1:" + DATA_KEY);
        props.put("dialfire.consent.field", CONSENT_FIELD);
        // the retention is run by the test (direct:data-retention-run), then for every lead older than a second
        props.put("geolead.retention", "PT1S");
        props.putAll(ApiClient.settings(dataDir));
        return props;
    }

    private void runThePipeline(RunningApp app, Mailbox mailbox, DialfireSimulator dialfire, SandboxStripe stripe) throws Exception {
        // agents subscribe through signed Stripe webhooks: checkout, then the subscription
        for (Agent agent : AGENTS) {
            stripe.putCustomer(agent.customer(), agent.name(), agent.email());
            stripe.putSubscription(agent.subscription(), agent.customer(), "active", agent.plz());
            webhook("evt_checkout_" + agent.customer(), "checkout.session.completed",
                    stripe.checkoutSessionJson("cs_" + agent.customer(), agent.customer(), agent.subscription()));
            webhook("evt_created_" + agent.subscription(), "customer.subscription.created", stripe.subscriptionJson(agent.subscription()));
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
                db.count("SELECT count(*) FROM stripe_events WHERE status = 'processed'") == 2L * AGENTS.size());

        // homeowners reach success in Dialfire; one PDF is missing (404)
        for (Homeowner h : List.of(BERLIN, MUENCHEN, GARBAGE_PLZ, BROKEN_PDF)) {
            if (h != BROKEN_PDF) {
                dialfire.putResource(h.pdfPath(), LeadSheetPdfGenerator.leadSheet(sheet(h)), "application/pdf");
            }
            dialfire.succeed(dialfire.addContact("anrufen", fields(h)), "anrufen");
        }
        app.runImportExpectingSuccess();
        await().atMost(Duration.ofSeconds(10)).until(() -> db.count("SELECT count(*) FROM leads") == 4);

        // Berlin: a head start and one follower; München: one mail. The follower's agent stops paying meanwhile.
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() >= 2);
        Map<String, Object> follower = db.row("SELECT d.id, c.stripe_customer_id FROM lead_distributions d JOIN customers c ON c.id = d.customer_id "
                + "JOIN leads l ON l.id = d.lead_id WHERE l.plz = '10115' AND d.role = 'follower'");
        String late = (String) follower.get("stripe_customer_id");
        Agent lateAgent = AGENTS.stream().filter(a -> a.customer().equals(late)).findFirst().orElseThrow();
        stripe.setSubscriptionStatus(lateAgent.subscription(), "past_due");
        webhook("evt_failed_" + late, "invoice.payment_failed", stripe.invoiceJson("in_" + late, late, lateAgent.subscription(), "open"));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                "skipped".equals(db.row("SELECT status FROM lead_distributions WHERE id = ?", follower.get("id")).get("status")));
        await().atMost(Duration.ofSeconds(20)).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE status = 'sent'") == 2);
        assertThat(mailbox.messages()).hasSize(2);
        webhook("evt_updated_" + late, "customer.updated", stripe.customerJson(late));
        await().atMost(Duration.ofSeconds(20)).until(() -> db.count("SELECT count(*) FROM stripe_events WHERE status = 'received'") == 0);

        // a second run brings a contact whose pdf_url is malformed; whatever the import makes of it, nothing leaks
        dialfire.succeed(dialfire.addContact("anrufen", fields(MALFORMED_PDF)), "anrufen");
        dialfire.putResource(NO_CONSENT.pdfPath(), LeadSheetPdfGenerator.leadSheet(sheet(NO_CONSENT)), "application/pdf");
        dialfire.succeed(dialfire.addContact("anrufen", fields(NO_CONSENT)), "anrufen");
        app.runImport();
        assertThat(db.count("SELECT count(*) FROM leads WHERE status = 'no_consent'")).isEqualTo(1);

        assertThat(db.count("SELECT count(*) FROM leads WHERE status = 'unroutable'")).isEqualTo(1);
        assertThat(db.count("SELECT count(*) FROM leads WHERE status = 'pdf_missing'")).isGreaterThanOrEqualTo(1);
    }

    /**
     * An agent's second checkout: a new Stripe customer with the e-mail of a known agent. Whether it is recorded or
     * fails (a database constraint), its e-mail must not reach the log.
     */
    private void secondCheckoutWithAKnownEmail(SandboxStripe stripe, LogCapture log) throws Exception {
        Agent known = AGENTS.get(0);
        stripe.putCustomer("cus_priv_a2", known.name(), known.email());
        stripe.putSubscription("sub_priv_a2", "cus_priv_a2", "active", "80331");
        webhook("evt_checkout_cus_priv_a2", "checkout.session.completed", stripe.checkoutSessionJson("cs_priv_a2", "cus_priv_a2", "sub_priv_a2"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !"received".equals(
                db.row("SELECT status FROM stripe_events WHERE event_id = 'evt_checkout_cus_priv_a2'").get("status"))
                || log.lines().stream().anyMatch(line -> line.startsWith("ERROR") && line.contains("stripe-events")));
    }

    private static Map<String, String> fields(Homeowner h) {
        return Map.of("vorname", h.vorname(), "nachname", h.nachname(), "strasse", h.strasse(), "plz", h.plzField(),
                "ort", h.ort(), "email", h.email(), "$phone", h.phone(), "pdf_url", h.pdfPath(),
                CONSENT_FIELD, h == NO_CONSENT ? "nein" : "ja");
    }

    /**
     * The data protection on top of the run: the stored data is sealed; an export by the Berlin homeowner's phone in
     * national spelling and an erasure by the München homeowner's e-mail in capitals; a mail's receipt verified over
     * the API; the retention erasing what is left.
     */
    private void dataProtection(RunningApp app, Mailbox mailbox) {
        assertThat(db.count("SELECT count(*) FROM leads WHERE contact_key = 'k1'")).as("sealed contacts").isGreaterThanOrEqualTo(4);
        assertThat(db.count("SELECT count(*) FROM leads WHERE contact::text LIKE '%" + BERLIN.nachname() + "%'")).isZero();
        ApiClient api = ApiClient.admin(app);

        ApiClient.Answer export = api.post("/api/data-subjects/export", "{\"phone\":\"030 987 654 32\"}");
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.text()).contains(BERLIN.nachname());
        ApiClient.Answer erasure = api.post("/api/data-subjects/erasure",
                "{\"email\":\"" + MUENCHEN.email().toUpperCase(Locale.ROOT) + "\",\"reference\":\"DSR-2026-7\"}");
        assertThat(erasure.status()).isEqualTo(200);
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_reason = 'request'")).isEqualTo(1);

        Mailbox.TypedAttachment receipt = Mailbox.attachments(mailbox.messages().get(0)).stream()
                .filter(a -> a.fileName().startsWith("receipt-")).findFirst().orElseThrow();
        ApiClient.Answer verified = api.post("/api/receipts/verify", new String(receipt.bytes(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(verified.status()).isEqualTo(200);
        assertThat(verified.json().getAsJsonObject().get("result").getAsString()).isEqualTo("VALID");

        app.context().createProducerTemplate().sendBody("direct:data-retention-run", null);
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_reason = 'retention'")).as("erased by the retention").isPositive();
    }

    /** The Prometheus scrape of the management port, logged in as the generated ops user. */
    private String metrics(RunningApp app) throws Exception {
        String line = java.nio.file.Files.readAllLines(dataDir.resolve("management-users.properties")).stream()
                .filter(l -> l.startsWith("user.ops")).findFirst().orElseThrow();
        String password = line.substring(line.indexOf('=') + 1, line.lastIndexOf(',')).trim();
        String credentials = java.util.Base64.getEncoder().encodeToString(("ops:" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.managementPort() + "/observe/metrics"))
                .header("Authorization", "Basic " + credentials).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static Map<String, String> sheet(Homeowner h) {
        return Map.of("vorname", h.vorname(), "nachname", h.nachname(), "strasse", h.strasse(), "ort", h.ort(), "plz", h.plzInPdf());
    }

    /** Every value that must never be logged: the homeowners' data and PDF locations, the agents' names and e-mails. */
    static List<String> forbidden() {
        List<String> values = new ArrayList<>();
        values.add(DATA_KEY);
        for (Homeowner h : List.of(BERLIN, MUENCHEN, GARBAGE_PLZ, BROKEN_PDF, MALFORMED_PDF, NO_CONSENT)) {
            values.addAll(List.of(h.vorname(), h.nachname(), h.strasse(), h.phone(), h.phone().replace(" ", ""), h.email()));
            values.add(h.pdfPath().substring(h.pdfPath().lastIndexOf('/') + 1).replace(".pdf", ""));
        }
        for (Agent a : AGENTS) {
            values.add(a.email());
            values.add(a.name().substring(a.name().lastIndexOf(' ') + 1));
        }
        return values;
    }

    private void webhook(String eventId, String type, String object) throws Exception {
        String event = SandboxStripe.event(eventId, type, object);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/stripe"))
                .header("Content-Type", "application/json")
                .header("Stripe-Signature", SandboxStripe.signatureHeader(event, SECRET))
                .POST(HttpRequest.BodyPublishers.ofString(event)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(type).isEqualTo(200);
    }
}
