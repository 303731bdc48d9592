package de.geolead.subjects;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import de.geolead.lead.LeadSheetPdf;
import de.geolead.testing.ApiClient;
import de.geolead.testing.LogCapture;
import de.geolead.testing.Mailbox;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestData;
import de.geolead.testing.TestDatabase;
import org.apache.activemq.artemis.core.server.Queue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * POST /api/data-subjects/export and …/erasure over real HTTP against the running app (PostgreSQL, Artemis,
 * GreenMail): a homeowner is found by the phone number in any spelling or the e-mail address in any case, other
 * homeowners stay as they are, an erasure anonymises with its audit rows and stops the pending follower mail, and the
 * phone number and e-mail address appear in no log line and no audit row.
 */
class DataSubjectsApiTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    /** Erika's number as stored in the first lead, and two more spellings of it. */
    static final String[] ERIKAS_PHONE = {"+49 30 1234567", "030 1234567", "(030) 123-45 67"};
    static final String ERIKAS_EMAIL = "Erika.Muster@Example.de";

    @TempDir
    static Path dataDir;
    static Mailbox mailbox;
    static RunningApp app;
    static final TestDatabase db = TestDatabase.get();
    static final TestData data = new TestData(db);

    @BeforeAll
    static void start() {
        mailbox = new Mailbox();
        Map<String, String> props = new LinkedHashMap<>(ApiClient.settings(dataDir));
        props.putAll(RunningApp.mailingTo(mailbox.port()));
        // the follower's mail falls due during the erasure test: it must not go out
        props.put("geolead.head.start", "PT15S");
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

    /** A follower's scheduled message of an earlier test would hit a new row with its id (RESTART IDENTITY): none is left. */
    @BeforeEach
    void cleanSlate() throws Exception {
        app.emptyWorkQueues(WAIT);
        db.reset();
        mailbox.clear();
    }

    static Queue queue(String name) {
        return app.queue(name);
    }

    /** Erika's leads (phone in two fields and spellings, e-mail in another case), Max's lead, and ids in that order. */
    record Leads(long byPhone, long byTelefon, long byEmail, long max) {
    }

    static Leads leads() {
        long byPhone = lead("10115", "{\"vorname\":\"Erika\",\"nachname\":\"Muster\",\"strasse\":\"Musterweg 1\",\"$phone\":\"+49 30 1234567\"}");
        long byTelefon = lead("10115", "{\"vorname\":\"Erika\",\"nachname\":\"Muster\",\"$phone\":\"+4940999999\",\"telefon\":\"030/1234567\"}");
        long byEmail = lead("10115", "{\"vorname\":\"E.\",\"nachname\":\"Muster\",\"email\":\"erika.muster@example.de\"}");
        long max = lead("10115", "{\"vorname\":\"Max\",\"nachname\":\"Mustermann\",\"$phone\":\"030 7654321\",\"email\":\"max@example.de\"}");
        return new Leads(byPhone, byTelefon, byEmail, max);
    }

    static long lead(String plz, String contact) {
        long id = data.lead(plz, "Berlin");
        db.update("UPDATE leads SET contact = ?::jsonb WHERE id = ?", contact, id);
        return id;
    }

    static ApiClient.Answer post(String path, String json) {
        return ApiClient.admin(app).post(path, json);
    }

    static String phoneBody(String phone) {
        return "{\"phone\": \"" + phone + "\"}";
    }

    static List<Long> ids(JsonArray array) {
        List<Long> ids = new ArrayList<>();
        for (JsonElement e : array) {
            ids.add(e.isJsonObject() ? e.getAsJsonObject().get("id").getAsLong() : e.getAsLong());
        }
        return ids;
    }

    /** Two agents covering 10115: the lead's head-start mail is sent to the first, the follower's waits 15 s. */
    static long[] distributed(long lead) {
        long first = data.customer("Erster Makler", "paid");
        data.subscription(first, "10115");
        long second = data.customer("Zweiter Makler", "paid");
        data.subscription(second, "10115");
        app.publishLead(lead);
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'sent'", lead) == 1
                && db.count("SELECT count(*) FROM lead_distributions WHERE lead_id = ? AND status = 'pending'", lead) == 1);
        long headStart = (Long) db.row("SELECT customer_id FROM lead_distributions WHERE lead_id = ? AND status = 'sent'", lead).get("customer_id");
        return new long[] {headStart, headStart == first ? second : first};
    }

    @Test
    void anExportFindsThePersonsLeadsByThePhoneInThreeSpellingsAndByTheEmailInOtherCase() {
        Leads leads = leads();
        long[] agents = distributed(leads.byPhone());

        List<List<Long>> found = new ArrayList<>();
        JsonObject export = null;
        try (LogCapture log = LogCapture.open()) {
            for (String spelling : ERIKAS_PHONE) {
                ApiClient.Answer answer = post("/api/data-subjects/export", phoneBody(spelling));
                assertThat(answer.status()).as(answer.text()).isEqualTo(200);
                export = answer.json().getAsJsonObject();
                found.add(ids(export.getAsJsonArray("leads")));
            }
            ApiClient.Answer byEmail = post("/api/data-subjects/export", "{\"email\": \" ERIKA.MUSTER@example.DE \"}");
            assertThat(ids(byEmail.json().getAsJsonObject().getAsJsonArray("leads"))).containsExactly(leads.byEmail());
            assertThat(log.linesContaining("API data_subject_export")).hasSize(4).first().asString()
                    .startsWith("INFO de.geolead.api API data_subject_export (searched by phone): 2 leads [" + leads.byPhone()
                            + ", " + leads.byTelefon() + "], agents [" + agents[0] + "], 0 unreadable, ")
                    .endsWith(" by ops-admin");
            assertNoPersonalData(log);
        }
        assertThat(found).containsOnly(List.of(leads.byPhone(), leads.byTelefon()));

        assertThat(export.get("searchedBy").getAsJsonArray().toString()).isEqualTo("[\"phone\"]");
        assertThat(export.get("leadsFound").getAsInt()).isEqualTo(2);
        JsonObject lead = export.getAsJsonArray("leads").get(0).getAsJsonObject();
        assertThat(lead.get("status").getAsString()).isEqualTo("distributed");
        assertThat(lead.get("plz").getAsString()).isEqualTo("10115");
        assertThat(lead.getAsJsonObject("contact").get("nachname").getAsString()).isEqualTo("Muster");
        assertThat(lead.getAsJsonObject("contact").get("$phone").getAsString()).isEqualTo("+49 30 1234567");
        JsonObject sheet = lead.getAsJsonObject("leadSheet");
        byte[] pdf = Base64.getDecoder().decode(sheet.get("contentBase64").getAsString());
        assertThat(new String(pdf, 0, 5)).isEqualTo("%PDF-");
        assertThat(sheet.get("sha256").getAsString()).isEqualTo(LeadSheetPdf.sha256Hex(pdf));
        assertThat(sheet.get("sizeBytes").getAsInt()).isEqualTo(pdf.length);
        JsonArray mails = lead.getAsJsonArray("mails");
        assertThat(mails).hasSize(2);
        JsonObject sent = mails.get(0).getAsJsonObject().get("status").getAsString().equals("sent")
                ? mails.get(0).getAsJsonObject() : mails.get(1).getAsJsonObject();
        assertThat(sent.get("customerId").getAsLong()).isEqualTo(agents[0]);
        assertThat(sent.get("customerEmail").getAsString()).isEqualTo(data.email(agents[0]));
        assertThat(sent.get("role").getAsString()).isEqualTo("head_start");
        assertThat(sent.get("sentAt").getAsString()).isNotEmpty();
        assertThat(sent.get("messageId").getAsString()).isNotEmpty();
        JsonObject agent = export.getAsJsonArray("agents").get(0).getAsJsonObject();
        assertThat(export.getAsJsonArray("agents")).hasSize(1);
        assertThat(agent.get("id").getAsLong()).isEqualTo(agents[0]);
        assertThat(agent.get("email").getAsString()).isEqualTo(data.email(agents[0]));
        assertThat(agent.getAsJsonArray("leads").get(0).getAsJsonObject().get("leadId").getAsLong()).isEqualTo(leads.byPhone());

        // an audit row per lead found and request, without the phone or e-mail
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'data_subject_export' AND actor = 'ops-admin' "
                + "AND entity = 'lead' AND entity_id = ?", leads.byPhone())).isEqualTo(3);
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'data_subject_export' AND entity_id = ?", leads.byEmail())).isEqualTo(1);
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE entity_id = ?", leads.max())).isZero();
        assertNoPersonalDataInTheAuditLog();
        // nothing was changed
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_at IS NOT NULL")).isZero();
    }

    @Test
    void anErasureAnonymisesThePersonsLeadsStopsTheFollowerMailAndListsTheAgents() {
        Leads leads = leads();
        long[] agents = distributed(leads.byPhone());
        Instant followerDue = ((java.sql.Timestamp) db.row("SELECT scheduled_for FROM lead_distributions WHERE lead_id = ? AND status = 'pending'",
                leads.byPhone()).get("scheduled_for")).toInstant();
        Map<String, Object> maxBefore = db.row("SELECT contact::text AS contact, status FROM leads WHERE id = ?", leads.max());

        ApiClient.Answer answer;
        try (LogCapture log = LogCapture.open()) {
            answer = post("/api/data-subjects/erasure", "{\"phone\": \"" + ERIKAS_PHONE[1] + "\", \"email\": \"" + ERIKAS_EMAIL
                    + "\", \"reference\": \"DSGVO-2026-0042\"}");
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            assertThat(log.linesContaining("API data_subject_erasure")).containsExactly("INFO de.geolead.api API data_subject_erasure "
                    + "(searched by phone, email): 3 leads erased [" + leads.byPhone() + ", " + leads.byTelefon() + ", " + leads.byEmail()
                    + "], agents [" + agents[0] + "] to tell, 0 unreadable, " + answer.json().getAsJsonObject().get("leadsSearched")
                    + " leads searched in " + answer.json().getAsJsonObject().get("searchMillis") + " ms by ops-admin");
            assertNoPersonalData(log);
        }
        JsonObject erasure = answer.json().getAsJsonObject();
        List<Long> erased = List.of(leads.byPhone(), leads.byTelefon(), leads.byEmail());
        assertThat(ids(erasure.getAsJsonArray("erasedLeadIds"))).containsExactlyElementsOf(erased);
        assertThat(erasure.get("reference").getAsString()).isEqualTo("DSGVO-2026-0042");
        JsonArray agentList = erasure.getAsJsonArray("agents");
        assertThat(agentList).hasSize(1);
        JsonObject agent = agentList.get(0).getAsJsonObject();
        assertThat(agent.get("id").getAsLong()).isEqualTo(agents[0]);
        assertThat(agent.get("name").getAsString()).isEqualTo(db.row("SELECT name FROM customers WHERE id = ?", agents[0]).get("name"));
        assertThat(agent.get("email").getAsString()).isEqualTo(data.email(agents[0]));
        JsonObject received = agent.getAsJsonArray("leads").get(0).getAsJsonObject();
        assertThat(received.get("leadId").getAsLong()).isEqualTo(leads.byPhone());
        assertThat(received.get("sentAt").getAsString()).isNotEmpty();

        for (long id : erased) {
            assertThat(db.row("SELECT contact::text AS contact, erased_reason, pdf_url FROM leads WHERE id = ?", id))
                    .containsEntry("contact", "{}").containsEntry("erased_reason", "request").containsEntry("pdf_url", null);
            assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", id)).isZero();
            assertThat(db.rows("SELECT actor, before::text AS before, after::text AS after FROM audit_log "
                    + "WHERE action = 'data_subject_erasure' AND entity = 'lead' AND entity_id = ?", id))
                    .singleElement().satisfies(row -> {
                        assertThat(row.get("actor")).isEqualTo("ops-admin");
                        assertThat((String) row.get("after")).contains("\"reference\": \"DSGVO-2026-0042\"", "\"erasedReason\": \"request\"");
                    });
        }
        assertNoPersonalDataInTheAuditLog();
        // the follower's mail is skipped and never sent, also after it fell due
        assertThat(db.row("SELECT status, status_reason FROM lead_distributions WHERE lead_id = ? AND customer_id = ?", leads.byPhone(), agents[1]))
                .containsEntry("status", "skipped").containsEntry("status_reason", "lead erased");
        await().atMost(WAIT).until(() -> Instant.now().isAfter(followerDue.plusSeconds(2)));
        await().atMost(WAIT).until(() -> queue("geolead.deliveries").getMessageCount() == 0
                && queue("geolead.deliveries").getDeliveringCount() == 0);
        assertThat(mailbox.messagesTo(data.email(agents[1]))).isEmpty();
        assertThat(mailbox.messagesTo(data.email(agents[0]))).hasSize(1);
        // Max is untouched
        assertThat(db.row("SELECT contact::text AS contact, status FROM leads WHERE id = ?", leads.max())).isEqualTo(maxBefore);
        assertThat(db.row("SELECT erased_at FROM leads WHERE id = ?", leads.max()).get("erased_at")).isNull();
        assertThat(db.count("SELECT count(*) FROM lead_pdfs WHERE lead_id = ?", leads.max())).isEqualTo(1);
    }

    @Test
    void aSecondIdenticalRequestFindsNothing() {
        Leads leads = leads();
        String body = "{\"phone\": \"" + ERIKAS_PHONE[2] + "\", \"reference\": \"T-1\"}";
        assertThat(ids(post("/api/data-subjects/erasure", body).json().getAsJsonObject().getAsJsonArray("erasedLeadIds")))
                .containsExactly(leads.byPhone(), leads.byTelefon());

        try (LogCapture log = LogCapture.open()) {
            ApiClient.Answer again = post("/api/data-subjects/erasure", body);
            assertThat(again.status()).as(again.text()).isEqualTo(200);
            JsonObject json = again.json().getAsJsonObject();
            assertThat(json.getAsJsonArray("erasedLeadIds")).isEmpty();
            assertThat(json.getAsJsonArray("agents")).isEmpty();
            assertThat(json.get("message").getAsString()).isEqualTo("no lead of this person found (erased leads are not searched): nothing erased");
            ApiClient.Answer export = post("/api/data-subjects/export", phoneBody(ERIKAS_PHONE[0]));
            assertThat(export.json().getAsJsonObject().getAsJsonArray("leads")).isEmpty();
            assertThat(export.json().getAsJsonObject().get("message").getAsString()).startsWith("no lead of this person found");
            assertThat(log.linesContaining("API data_subject_erasure")).singleElement().asString().contains("0 leads erased []");
            assertNoPersonalData(log);
        }
        assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'data_subject_erasure'")).isEqualTo(2);
    }

    @Test
    void unreadableLeadsAreNamedInTheAnswer() {
        Leads leads = leads();
        long sealed = lead("10115", "{}");
        db.update("UPDATE leads SET contact_sealed = '\\x00'::bytea, contact_key = 'lost-key' WHERE id = ?", sealed);

        JsonObject export = post("/api/data-subjects/export", phoneBody(ERIKAS_PHONE[0])).json().getAsJsonObject();
        assertThat(ids(export.getAsJsonArray("leads"))).containsExactly(leads.byPhone(), leads.byTelefon());
        JsonObject unreadable = export.getAsJsonObject("unreadable");
        assertThat(unreadable.get("count").getAsInt()).isEqualTo(1);
        assertThat(ids(unreadable.getAsJsonArray("leadIds"))).containsExactly(sealed);
        assertThat(unreadable.get("note").getAsString()).contains("GEOLEAD_DATA_KEYS");

        JsonObject erasure = post("/api/data-subjects/erasure", phoneBody(ERIKAS_PHONE[0])).json().getAsJsonObject();
        assertThat(ids(erasure.getAsJsonObject("unreadable").getAsJsonArray("leadIds"))).containsExactly(sealed);
        assertThat(db.row("SELECT erased_at FROM leads WHERE id = ?", sealed).get("erased_at")).isNull();
    }

    @Test
    void badBodiesAre400AndViewersAre403AndNothingIsLogged() {
        Leads leads = leads();
        try (LogCapture log = LogCapture.open()) {
            for (String path : List.of("/api/data-subjects/export", "/api/data-subjects/erasure")) {
                for (String body : List.of("{}", "{\"phone\": \"\", \"email\": \" \"}", "{\"phone\": \"call 030 1234567\"}",
                        "{\"phone\": \"1234567\"}", "{\"email\": \"erika.muster(at)example.de\"}", "{\"phone\": 301234567}",
                        "{\"phone\": [\"030 1234567\"]}", "{\"phone\": \"030 1234567\"", "[\"030 1234567\"]", "null")) {
                    ApiClient.Answer answer = post(path, body);
                    assertThat(answer.status()).as("%s %s: %s", path, body, answer.text()).isEqualTo(400);
                    assertThat(answer.error()).isEqualTo("bad_request");
                    assertThat(answer.text()).doesNotContain("1234567", "erika");
                }
                ApiClient.Answer viewer = ApiClient.viewer(app).post(path, phoneBody(ERIKAS_PHONE[1]));
                assertThat(viewer.status()).as(viewer.text()).isEqualTo(403);
                ApiClient.Answer anonymous = ApiClient.of(app, null).post(path, phoneBody(ERIKAS_PHONE[1]));
                assertThat(anonymous.status()).as(anonymous.text()).isEqualTo(401);
            }
            for (String reference : List.of("erika.muster@example.de", "Anruf 030 123 45 67", "x".repeat(65), "T\n1")) {
                ApiClient.Answer answer = post("/api/data-subjects/erasure", "{\"phone\": \"030 1234567\", \"reference\": "
                        + com.google.gson.JsonParser.parseString("\"" + reference.replace("\n", "\\n") + "\"") + "}");
                assertThat(answer.status()).as(reference + ": " + answer.text()).isEqualTo(400);
                assertThat(answer.json().getAsJsonObject().get("detail").getAsString()).startsWith("the reference must");
            }
            assertNoPersonalData(log);
        }
        assertThat(db.count("SELECT count(*) FROM leads WHERE erased_at IS NOT NULL")).isZero();
        assertThat(db.count("SELECT count(*) FROM audit_log")).isZero();
        assertThat(leads.max()).isPositive();
    }

    /** No captured line (with its exceptions) holds Erika's phone number in any spelling, her e-mail or her name. */
    static void assertNoPersonalData(LogCapture log) {
        String all = String.join("\n", log.linesWithExceptions());
        assertThat(all).doesNotContain("1234567", "123-45", "123 45 67", "erika", "Erika", "ERIKA", "Muster", "example.de");
    }

    static void assertNoPersonalDataInTheAuditLog() {
        String audit = db.rows("SELECT actor, action, before::text AS before, after::text AS after FROM audit_log").toString();
        assertThat(audit).doesNotContain("1234567", "123-45", "erika", "Erika", "Muster", "example.de");
    }
}
