package de.geolead.returns;

import de.geolead.testing.ApiClient;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The signed return link end to end: the lead mail delivered over SMTP (GreenMail) carries a /r/ link; its German form,
 * the filing through it (channel link), single use, tampered and expired links, a bad reason, HTML escaping.
 */
class ReturnLinkTest {

    static final String SECRET = "return-link-secret-for-the-tests-0123456789";

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static String base;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        int port = RunningApp.freePort();
        base = "http://127.0.0.1:" + port;
        Map<String, String> props = RunningApp.mailingTo(mailbox.port());
        props.putAll(ApiClient.settings(dataDir));
        props.put("geolead.http.port", Integer.toString(port));
        props.put("geolead.link.secret", SECRET);
        props.put("geolead.public.url", base + "/");
        app = RunningApp.start(dataDir, props);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (mailbox != null) {
            mailbox.close();
        }
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        mailbox.clear();
    }

    @Test
    void theLeadMailCarriesAWorkingReturnLink() throws Exception {
        long agent = data.customer("Makler Link", "paid");
        data.subscription(agent, "10115");
        long lead = data.lead("10115", "Berlin");
        app.publishLead(lead);
        await().atMost(Duration.ofSeconds(30)).until(() -> mailbox.messagesTo(data.email(agent)).size() == 1);
        MimeMessage mail = mailbox.messagesTo(data.email(agent)).get(0);
        String text = part(mail, "text/plain");
        Matcher link = Pattern.compile(Pattern.quote(base) + "/r/([A-Za-z0-9_.-]+)").matcher(text);
        assertThat(link.find()).as(text).isTrue();
        assertThat(part(mail, "text/html")).contains("href=\"" + base + "/r/" + link.group(1) + "\"", "Lead reklamieren");
        String url = link.group();

        HttpResponse<String> form = get(url);
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(form.body()).contains("Lead Nr. " + lead + " reklamieren", "PLZ 10115", "Falsche Kontaktdaten", "<textarea")
                .doesNotContain("Erika", "Muster", "+4930123456");
        assertThat(form.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
        assertThat(form.headers().firstValue("Referrer-Policy")).contains("no-referrer");
        assertThat(form.headers().map().toString()).doesNotContain(link.group(1));

        HttpResponse<String> done = post(url, "reason=wrong_data&note=" + URLEncoder.encode("Nummer existiert nicht", StandardCharsets.UTF_8));
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(done.body()).contains("Vielen Dank", "Lead Nr. " + lead, "Falsche Kontaktdaten");
        Map<String, Object> filed = db.row("SELECT customer_id, reason, note, channel, filed_by, status FROM lead_returns WHERE lead_id = ?", lead);
        assertThat(filed).containsEntry("customer_id", agent).containsEntry("reason", "wrong_data")
                .containsEntry("note", "Nummer existiert nicht").containsEntry("channel", "link")
                .containsEntry("filed_by", "agent-" + agent).containsEntry("status", "open");
        assertThat(db.row("SELECT actor, action FROM audit_log")).containsEntry("actor", "agent-" + agent).containsEntry("action", "return.file");

        // single use: the same link again
        HttpResponse<String> again = post(url, "reason=duplicate");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("bereits am");
        assertThat(get(url).statusCode()).isEqualTo(409);
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isEqualTo(1);
    }

    @Test
    void aTamperedOrGarbledLinkIsInvalid() throws Exception {
        Sent sent = sentLead();
        String token = links(Clock.systemUTC()).linkFor(sent.lead, sent.agent, sent.mail, Instant.now()).orElseThrow().url()
                .replaceAll(".*/r/", "");
        String otherLead = new ReturnLinks(SECRET, base, Duration.ofDays(7), Clock.systemUTC())
                .token(sent.lead + 1, sent.agent, sent.mail, Instant.now().plus(Duration.ofDays(7)));
        String foreignSecret = new ReturnLinks("another-secret-of-at-least-32-bytes-xyz", base, Duration.ofDays(7), Clock.systemUTC())
                .token(sent.lead, sent.agent, sent.mail, Instant.now().plus(Duration.ofDays(7)));
        char last = token.charAt(token.length() - 2);
        String flipped = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);

        for (String bad : new String[] {flipped, foreignSecret, "garbage", token.substring(0, token.indexOf('.')) , otherLead}) {
            HttpResponse<String> page = post(base + "/r/" + bad, "reason=duplicate");
            assertThat(page.statusCode()).as(bad).isEqualTo(400);
            assertThat(page.body()).contains("Dieser Link ist ungültig");
        }
        assertThat(get(base + "/r/" + flipped).statusCode()).isEqualTo(400);
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isZero();
    }

    @Test
    void anExpiredLinkIs410() throws Exception {
        Sent sent = sentLead();
        Instant longAgo = Instant.now().minus(Duration.ofDays(8));
        String url = links(Clock.fixed(longAgo, ZoneOffset.UTC)).linkFor(sent.lead, sent.agent, sent.mail, longAgo).orElseThrow().url();

        HttpResponse<String> page = post(url, "reason=duplicate");

        assertThat(page.statusCode()).isEqualTo(410);
        assertThat(page.body()).contains("abgelaufen");
        assertThat(get(url).statusCode()).isEqualTo(410);
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isZero();
    }

    @Test
    void aBadReasonShowsTheFormAgainWithTheNoteEscaped() throws Exception {
        Sent sent = sentLead();
        String url = links(Clock.systemUTC()).linkFor(sent.lead, sent.agent, sent.mail, Instant.now()).orElseThrow().url();
        String hostile = "<script>alert('x')</script> & \"quotes\"";

        HttpResponse<String> page = post(url, "reason=cheaper&note=" + URLEncoder.encode(hostile, StandardCharsets.UTF_8));

        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(page.body()).contains("Bitte wählen Sie einen Grund.", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;")
                .doesNotContain("<script>");
        HttpResponse<String> other = post(url, "reason=other&note=");
        assertThat(other.statusCode()).isEqualTo(400);
        assertThat(other.body()).contains("Sonstiges");
        HttpResponse<String> huge = post(url, "reason=other&note=" + "x".repeat(20_000));
        // Vert.x itself refuses a form field above 8 KB (400); a bigger form within that is ours to refuse (413)
        assertThat(huge.statusCode()).isIn(400, 413);
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isZero();

        HttpResponse<String> filed = post(url, "reason=other&note=" + URLEncoder.encode(hostile, StandardCharsets.UTF_8));
        assertThat(filed.statusCode()).isEqualTo(200);
        assertThat(db.row("SELECT note FROM lead_returns").get("note")).isEqualTo(hostile);
    }

    @Test
    void aLinkAfterTheReturnWindowOfTheMailIsExpiredToo() throws Exception {
        Sent sent = sentLead();
        // the link is still valid, but the mail it belongs to was sent more than GEOLEAD_RETURN_WINDOW ago
        db.update("UPDATE lead_distributions SET sent_at = ? WHERE id = ?", Timestamp.from(Instant.now().minus(Duration.ofDays(8))), sent.mail);
        String url = links(Clock.systemUTC()).linkFor(sent.lead, sent.agent, sent.mail, Instant.now()).orElseThrow().url();

        HttpResponse<String> page = post(url, "reason=duplicate");

        assertThat(page.statusCode()).isEqualTo(410);
        assertThat(db.count("SELECT count(*) FROM lead_returns")).isZero();
    }

    // ------------------------------------------------------------------------------------------ helpers

    record Sent(long lead, long agent, long mail) {
    }

    static Sent sentLead() {
        long agent = data.customer("Makler Direkt", "paid");
        long lead = data.lead("10115", "Berlin");
        long mail = ReturnsApiTest.sentMail(lead, agent, Instant.now().minus(Duration.ofHours(1)));
        return new Sent(lead, agent, mail);
    }

    static ReturnLinks links(Clock clock) {
        return new ReturnLinks(SECRET, base, Duration.ofDays(7), clock);
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String url, String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first body part of this type, decoded. */
    static String part(Part part, String type) throws Exception {
        if (part.isMimeType(type)) {
            return (String) part.getContent();
        }
        if (part.getContent() instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                String found = part(child, type);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
