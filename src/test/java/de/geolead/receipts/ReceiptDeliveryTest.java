package de.geolead.receipts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.geolead.config.GeoleadSettings;
import de.geolead.launcher.Launcher;
import de.geolead.testing.ApiClient;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Receipts with the real app, PostgreSQL, embedded Artemis and GreenMail: every mail carries its signed receipt as
 * receipt-&lt;distribution id&gt;.json, which verifies through the command and the API; head start and follower are
 * linked; a retry after an SMTP failure carries the receipt of the first attempt; a broken template claims nothing
 * and issues no receipt; tampering is caught.
 */
class ReceiptDeliveryTest {

    static final Duration HEAD_START = Duration.ofSeconds(2);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;
    static Path templates;
    static Mailbox mailbox;
    static RunningApp app;
    static Map<String, String> props;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        templates = dataDir.resolve("templates");
        props = RunningApp.defaults(dataDir);
        props.putAll(RunningApp.mailingTo(mailbox.port()));
        props.putAll(ApiClient.settings(dataDir));
        props.put("geolead.head.start", HEAD_START.toString());
        props.put("geolead.mail.backoff", "PT0.2S");
        props.put("geolead.mail.max.backoff", "PT0.5S");
        props.put("geolead.templates.dir", templates.toString());
        app = RunningApp.startWith(props, null);
    }

    @AfterAll
    static void stop() {
        app.close();
        mailbox.close();
    }

    @BeforeEach
    void cleanSlate() {
        db.reset();
        mailbox.clear();
    }

    static long agent(String name, String plz) {
        long agent = data.customer(name, "paid");
        data.subscription(agent, plz);
        return agent;
    }

    static Mailbox.TypedAttachment receiptOf(MimeMessage message) {
        List<Mailbox.TypedAttachment> attachments = Mailbox.attachments(message);
        assertThat(attachments).hasSize(2);
        assertThat(attachments.get(0).contentType()).startsWith("application/pdf");
        return attachments.get(1);
    }

    static long distributionOf(long lead, long agent) {
        return (Long) db.row("SELECT id FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", lead, agent).get("id");
    }

    /** verify-receipt as the launcher runs it, with this app's settings: exit code and its one line. */
    static Map.Entry<Integer, String> command(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReceiptCommands.run(args, Launcher.receiptEnvironment(GeoleadSettings.from(props::get)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return Map.entry(code, (out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8)).strip());
    }

    static Map.Entry<Integer, String> verifyFile(String content) throws Exception {
        Path file = Files.createTempFile(dataDir, "receipt", ".json");
        Files.writeString(file, content);
        return command("verify-receipt", file.toString());
    }

    @Test
    void aSentMailCarriesItsReceiptWhichVerifiesByCommandAndApi() throws Exception {
        long agent = agent("Makler Receipt GmbH", "10115");
        long lead = data.lead("10115", "Berlin");
        app.publishLead(lead);
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() == 1);
        long mail = distributionOf(lead, agent);

        Mailbox.TypedAttachment receipt = receiptOf(mailbox.messages().get(0));
        assertThat(receipt.fileName()).isEqualTo("receipt-" + mail + ".json");
        assertThat(receipt.contentType()).startsWith("application/json");
        String file = new String(receipt.bytes(), StandardCharsets.UTF_8);
        assertThat(file).isEqualTo(app.bean("receipts", Receipts.class).find(mail).orElseThrow().file());
        JsonNode body = JSON.readTree(file).get("receipt");
        assertThat(body.get("message_id").asText()).isEqualTo(mailbox.messages().get(0).getMessageID());
        assertThat(body.get("pdf_sha256").asText()).isEqualTo(db.row("SELECT sha256 FROM lead_pdfs WHERE lead_id = ?", lead).get("sha256"));
        assertThat(file).doesNotContain("Erika").doesNotContain("Muster").doesNotContain("+4930123456");

        Map.Entry<Integer, String> valid = verifyFile(file);
        assertThat(valid.getKey()).as(valid.getValue()).isZero();
        assertThat(valid.getValue()).startsWith("VALID: receipt 1 (distribution " + mail + ", lead " + lead + ") is valid").doesNotContain("\n");

        ApiClient.Answer answer = ApiClient.admin(app).post("/api/receipts/verify", file);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.json().getAsJsonObject().get("result").getAsString()).isEqualTo("VALID");
        assertThat(answer.json().getAsJsonObject().get("seq").getAsLong()).isEqualTo(1);
        assertThat(answer.json().getAsJsonObject().get("problems").getAsJsonArray()).isEmpty();
        assertThat(answer.json().getAsJsonObject().keySet()).containsExactlyInAnyOrder("result", "problems", "seq", "distributionId",
                "leadId", "hash", "keyId", "chainChecked", "detail");
        assertThat(answer.json().getAsJsonObject().get("chainChecked").getAsBoolean()).isTrue();
        assertThat(ApiClient.viewer(app).post("/api/receipts/verify", file).status()).as("a POST: admins only").isEqualTo(403);

        // tampered: a changed field
        ObjectNode changed = (ObjectNode) JSON.readTree(file);
        ((ObjectNode) changed.get("receipt")).put("sent_at", "2020-01-01T00:00:00.000Z");
        Map.Entry<Integer, String> altered = verifyFile(changed.toString());
        assertThat(altered.getKey()).as(altered.getValue()).isEqualTo(1);
        assertThat(altered.getValue()).startsWith("INVALID: ").contains("altered").contains("bad signature");
        ApiClient.Answer refused = ApiClient.admin(app).post("/api/receipts/verify", changed.toString());
        assertThat(refused.json().getAsJsonObject().get("result").getAsString()).isEqualTo("INVALID");
        assertThat(refused.json().getAsJsonObject().get("problems").toString()).contains("altered");

        // junk and JSON that is no receipt
        Map.Entry<Integer, String> junk = verifyFile("%PDF-1.4 not a receipt");
        assertThat(junk.getKey()).as(junk.getValue()).isEqualTo(2);
        assertThat(junk.getValue()).startsWith("NOT A RECEIPT: ");
        assertThat(verifyFile("{\"hello\":\"world\"}").getKey()).isEqualTo(2);
        assertThat(command("verify-receipt", dataDir.resolve("no-such-file.json").toString()).getKey()).isEqualTo(2);
        ApiClient.Answer noReceipt = ApiClient.admin(app).post("/api/receipts/verify", "{\"hello\":\"world\"}");
        assertThat(noReceipt.status()).isEqualTo(400);
        assertThat(noReceipt.error()).isEqualTo("bad_request");
        assertThat(noReceipt.text()).contains("not a receipt: ");
    }

    @Test
    void headStartAndFollowerAreLinked() throws Exception {
        long first = agent("Erster Makler", "20095");
        long second = agent("Zweiter Makler", "20095");
        long lead = data.lead("20095", "Hamburg");
        app.publishLead(lead);
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() == 2);

        Map<String, Object> head = db.row("SELECT id, customer_id FROM lead_distributions WHERE lead_id = ? AND role = 'head_start'", lead);
        Map<String, Object> follower = db.row("SELECT id, scheduled_for FROM lead_distributions WHERE lead_id = ? AND role = 'follower'", lead);
        assertThat(List.of(first, second)).contains((Long) head.get("customer_id"));
        JsonNode headFile = JSON.readTree(receiptOf(mailbox.messagesTo(data.email((Long) head.get("customer_id"))).get(0)).bytes());
        long followerAgent = (Long) head.get("customer_id") == first ? second : first;
        JsonNode followerFile = JSON.readTree(receiptOf(mailbox.messagesTo(data.email(followerAgent)).get(0)).bytes());

        assertThat(headFile.get("receipt").get("role").asText()).isEqualTo("head_start");
        assertThat(headFile.get("receipt").get("followers").asInt()).isEqualTo(1);
        assertThat(headFile.get("receipt").get("exclusive_until").asText())
                .isEqualTo(Receipts.time(((java.sql.Timestamp) follower.get("scheduled_for")).toInstant()));
        assertThat(followerFile.get("receipt").get("role").asText()).isEqualTo("follower");
        assertThat(followerFile.get("receipt").get("head_start_receipt").asText()).isEqualTo(headFile.get("hash").asText());
        assertThat(Instant.parse(followerFile.get("receipt").get("sent_at").asText()))
                .isAfterOrEqualTo(Instant.parse(headFile.get("receipt").get("exclusive_until").asText()));
        assertThat(verifyFile(headFile.toString()).getKey()).isZero();
        assertThat(verifyFile(followerFile.toString()).getKey()).isZero();
    }

    @Test
    void aRetryAfterAnSmtpFailureCarriesTheReceiptOfTheFirstAttempt() throws Exception {
        long agent = agent("Retry Makler", "30159");
        long lead = data.lead("30159", "Hannover");
        mailbox.stop();
        String stored;
        try {
            app.publishLead(lead);
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND attempts >= 2", lead) == 1);
            stored = (String) db.row("SELECT body FROM delivery_receipts").get("body");
        } finally {
            mailbox.start();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> mailbox.messages().size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'sent'", lead) == 1);

        JsonNode file = JSON.readTree(receiptOf(mailbox.messages().get(0)).bytes());
        assertThat(CanonicalJson.text(file.get("receipt"))).isEqualTo(stored);
        assertThat(db.count("SELECT count(*) FROM delivery_receipts")).isEqualTo(1);
        Map<String, Object> row = db.row("SELECT sent_at, attempts FROM lead_distributions WHERE lead_id = ?", lead);
        assertThat((Integer) row.get("attempts")).isGreaterThanOrEqualTo(3);
        assertThat(Instant.parse(file.get("receipt").get("sent_at").asText()))
                .as("sent_at is the first hand-over to SMTP").isBefore(((java.sql.Timestamp) row.get("sent_at")).toInstant());
        assertThat(verifyFile(file.toString()).getKey()).isZero();
        assertThat(agent).isPositive();
    }

    @Test
    void aBrokenTemplateClaimsNothingAndIssuesNoReceipt() throws Exception {
        long agent = agent("Template Makler", "40210");
        long lead = data.lead("40210", "Düsseldorf");
        Files.createDirectories(templates);
        Files.writeString(templates.resolve("lead-mail-subject.mustache"), "Lead {{#roleOnly}} unclosed");
        try (LogCapture logs = LogCapture.open()) {
            app.publishLead(lead);
            await().atMost(Duration.ofSeconds(20)).until(() -> !logs.linesContaining("lead-mail-subject.mustache").isEmpty());
            assertThat(db.row("SELECT status, attempts FROM lead_distributions WHERE lead_id = ?", lead))
                    .containsEntry("status", "pending").containsEntry("attempts", 0);
            assertThat(db.count("SELECT count(*) FROM delivery_receipts")).isZero();
        } finally {
            for (String name : List.of("lead-mail-subject.mustache")) {
                Files.deleteIfExists(templates.resolve(name));
            }
            Files.deleteIfExists(templates);
        }
        // the template fixed (the packaged ones again): the redelivered message sends the mail with its receipt
        await().atMost(Duration.ofSeconds(30)).until(() -> mailbox.messages().size() == 1);
        assertThat(receiptOf(mailbox.messages().get(0)).fileName()).isEqualTo("receipt-" + distributionOf(lead, agent) + ".json");
    }
}
