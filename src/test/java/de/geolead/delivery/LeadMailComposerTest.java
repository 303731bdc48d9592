package de.geolead.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeadMailComposerTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    /** 14:30 in Berlin (winter time, UTC+1). */
    private static final Instant WINTER = Instant.parse("2025-03-01T13:30:00Z");
    /** 10:05 in Berlin (summer time, UTC+2). */
    private static final Instant SUMMER = Instant.parse("2025-07-01T08:05:00Z");

    private final LeadMailComposer packaged = new LeadMailComposer(null, BERLIN);

    // --- timing sentence per role ----------------------------------------------------------

    @Test
    void headStartNamesTheEndOfTheHeadStartAndHowManyFollow() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.HEAD_START, WINTER, 3, null));

        String sentence = "exklusiv für Sie bis 01.03.2025, 14:30 Uhr, danach an 3 weitere Makler";
        assertThat(mail.text()).contains(sentence);
        assertThat(mail.html()).contains(sentence);
        assertThat(mail.text()).doesNotContain("auch an Sie").doesNotContain("nur an Sie");
    }

    @Test
    void headStartWithOneFollowerSaysEinenWeiterenMakler() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.HEAD_START, SUMMER, 1, null));

        assertThat(mail.text()).contains("exklusiv für Sie bis 01.07.2025, 10:05 Uhr, danach an einen weiteren Makler.");
        assertThat(mail.text()).doesNotContain("1 weitere");
    }

    @Test
    void followerNamesSinceWhenTheLeadIsShared() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.FOLLOWER, null, 2, SUMMER));

        assertThat(mail.text()).contains("seit 01.07.2025, 10:05 Uhr auch an Sie");
        assertThat(mail.html()).contains("seit 01.07.2025, 10:05 Uhr auch an Sie");
        assertThat(mail.text()).doesNotContain("exklusiv").doesNotContain("weitere Makler");
    }

    @Test
    void onlyAgentIsToldTheLeadIsTheirsAlone() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));

        assertThat(mail.text()).contains("Dieser Lead geht nur an Sie");
        assertThat(mail.html()).contains("Dieser Lead geht nur an Sie");
        assertThat(mail.text()).doesNotContain("exklusiv").doesNotContain("seit").doesNotContain("weitere Makler");
    }

    @Test
    void headStartWithNobodyFollowingReadsAsOnly() {
        LeadMail withoutFollowers = packaged.compose(facts(homeowner(), MailFacts.HEAD_START, null, 0, null));

        assertThat(withoutFollowers.text()).contains("Dieser Lead geht nur an Sie").doesNotContain("exklusiv");
    }

    @Test
    void followerWithoutDateStillGetsTheSharingSentence() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.FOLLOWER, null, 2, null));

        assertThat(mail.text()).contains("Dieser Lead geht auch an Sie.");
    }

    @Test
    void datesAreShownInTheConfiguredZone() {
        LeadMail mail = new LeadMailComposer(null, ZoneId.of("UTC"))
                .compose(facts(homeowner(), MailFacts.FOLLOWER, null, 1, WINTER));

        assertThat(mail.text()).contains("seit 01.03.2025, 13:30 Uhr auch an Sie");
    }

    // --- subject -----------------------------------------------------------------------------

    @Test
    void subjectHasPlzCityAndLeadNumberButNoHomeownerData() {
        Map<String, String> homeowner = homeowner();
        LeadMail mail = packaged.compose(facts(homeowner, MailFacts.ONLY, null, 0, null));

        assertThat(mail.subject()).isEqualTo("Neuer Eigentümer-Lead in 80331 München (Nr. 42)");
        for (String key : new String[] {"vorname", "nachname", "strasse", "$phone", "email", "$comment"}) {
            assertThat(mail.subject()).doesNotContain(homeowner.get(key));
        }
    }

    @Test
    void subjectTemplateCannotReachHomeownerData(@TempDir Path dir) throws IOException {
        writePackagedTemplates(dir);
        write(dir, LeadMailComposer.SUBJECT_TEMPLATE, "Lead {{leadId}} {{lead.name}}{{lead.phone}}{{lead.email}}\n");

        LeadMail mail = new LeadMailComposer(dir, BERLIN).compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));

        assertThat(mail.subject()).isEqualTo("Lead 42");
    }

    @Test
    void subjectWithoutCityLeavesNoGap() {
        MailFacts facts = new MailFacts(42, 7, "80331", null, Map.of(), "Immobilien Huber", MailFacts.ONLY, null, 0, null);

        assertThat(packaged.compose(facts).subject()).isEqualTo("Neuer Eigentümer-Lead in 80331 (Nr. 42)");
    }

    // --- body --------------------------------------------------------------------------------

    @Test
    void bodyGreetsTheAgentListsTheLeadAndMentionsTheAttachment() {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));

        for (String body : new String[] {mail.text(), mail.html()}) {
            assertThat(body).contains("Guten Tag Immobilien Huber,")
                    .contains("Frau Anna Schmidt")
                    .contains("Marienplatz 8")
                    .contains("80331 München")
                    .contains("+49 89 1234567")
                    .contains("anna.schmidt@example.org")
                    .contains("Eigentumswohnung")
                    .contains("Rückruf ab 17 Uhr")
                    .contains("Lead-80331-42.pdf")
                    .contains("im Anhang");
        }
        assertThat(mail.text()).contains("Telefon:     +49 89 1234567").contains("Wohnfläche:  85\n");
        assertThat(mail.html()).contains("<th align=\"left\" valign=\"top\">Wohnfläche</th><td>85</td>");
        assertThat(mail.attachmentName()).isEqualTo("Lead-80331-42.pdf");
    }

    @Test
    void theReturnLinkIsInBothBodiesAndNeverInTheSubject() {
        ReturnLink link = new ReturnLink("https://leads.example.de/r/abc.def&x", WINTER);
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null), link);

        assertThat(mail.html()).contains("<a href=\"https://leads.example.de/r/abc.def&amp;x\">Lead reklamieren</a>",
                "bis " + java.time.format.DateTimeFormatter.ofPattern("dd.MM.yyyy, HH:mm 'Uhr'").withZone(BERLIN).format(WINTER));
        assertThat(mail.text()).contains("Reklamieren Sie ihn bis", "https://leads.example.de/r/abc.def&x");
        assertThat(mail.subject()).doesNotContain("reklam", "https://");
        LeadMail without = packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));
        assertThat(without.html()).doesNotContain("reklamieren", "/r/");
        assertThat(without.text()).doesNotContain("Reklamieren", "/r/");
    }

    @Test
    void missingFieldsAreLeftOut() {
        Map<String, String> sparse = Map.of("nachname", "Schmidt", "$phone", "+49 89 1234567", "email", " ");
        LeadMail mail = packaged.compose(facts(sparse, MailFacts.ONLY, null, 0, null));

        assertThat(mail.text()).contains("Name:        Schmidt\n")
                .contains("Telefon:     +49 89 1234567")
                .contains("PLZ Ort:     80331 München")
                .doesNotContain("Straße:")
                .doesNotContain("E-Mail:")
                .doesNotContain("Objektart:")
                .doesNotContain("Wohnfläche:")
                .doesNotContain("Kommentar:");
        assertThat(mail.html()).contains(">Telefon<").doesNotContain(">E-Mail<").doesNotContain(">Straße<");
    }

    @Test
    void htmlEscapesLeadDataWhileTextKeepsItLiteral() {
        Map<String, String> homeowner = new HashMap<>(homeowner());
        homeowner.put("nachname", "Müller & Söhne");
        homeowner.put("$comment", "<script>alert(1)</script> \"Garten\"");
        LeadMail mail = packaged.compose(facts(homeowner, MailFacts.ONLY, null, 0, null));

        assertThat(mail.text()).contains("Frau Anna Müller & Söhne")
                .contains("<script>alert(1)</script> \"Garten\"")
                .doesNotContain("&amp;");
        assertThat(mail.html()).contains("Frau Anna Müller &amp; Söhne")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;Garten&quot;")
                .doesNotContain("Müller & Söhne")
                .doesNotContain("<script>");
    }

    // --- template folder -------------------------------------------------------------------

    @Test
    void templatesFromTheFolderAreUsedAndEditsApplyOnTheNextCompose(@TempDir Path dir) throws IOException {
        writePackagedTemplates(dir);
        write(dir, LeadMailComposer.TEXT_TEMPLATE, "Version 1 für {{agentName}}\n");
        LeadMailComposer composer = new LeadMailComposer(dir, BERLIN);
        MailFacts facts = facts(homeowner(), MailFacts.ONLY, null, 0, null);

        assertThat(composer.compose(facts).text()).isEqualTo("Version 1 für Immobilien Huber\n");

        write(dir, LeadMailComposer.TEXT_TEMPLATE, "Version 2 für {{agentName}}\n");
        write(dir, LeadMailComposer.SUBJECT_TEMPLATE, "Lead {{leadId}} in {{plz}}\n");

        LeadMail edited = composer.compose(facts);
        assertThat(edited.text()).isEqualTo("Version 2 für Immobilien Huber\n");
        assertThat(edited.subject()).isEqualTo("Lead 42 in 80331");
    }

    @Test
    void missingTemplateFailsNamingTheFile(@TempDir Path dir) throws IOException {
        writePackagedTemplates(dir);
        Files.delete(dir.resolve(LeadMailComposer.TEXT_TEMPLATE));
        LeadMailComposer composer = new LeadMailComposer(dir, BERLIN);

        assertThatThrownBy(() -> composer.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(LeadMailComposer.TEXT_TEMPLATE)
                .hasMessageContaining("not found");
    }

    @Test
    void brokenTemplateFailsNamingTheFile(@TempDir Path dir) throws IOException {
        writePackagedTemplates(dir);
        write(dir, LeadMailComposer.HTML_TEMPLATE, "<p>{{#roleOnly}}nie geschlossen</p>\n");
        LeadMailComposer composer = new LeadMailComposer(dir, BERLIN);

        assertThatThrownBy(() -> composer.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(LeadMailComposer.HTML_TEMPLATE)
                .hasMessageContaining("broken");
    }

    @Test
    void missingFolderFallsBackToThePackagedTemplates(@TempDir Path dir) {
        LeadMailComposer composer = new LeadMailComposer(dir.resolve("does-not-exist"), BERLIN);

        LeadMail mail = composer.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));

        assertThat(mail).isEqualTo(packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null)));
    }

    @Test
    void nullFolderUsesThePackagedTemplates() throws IOException {
        LeadMail mail = packaged.compose(facts(homeowner(), MailFacts.ONLY, null, 0, null));

        assertThat(mail.subject()).isEqualTo("Neuer Eigentümer-Lead in 80331 München (Nr. 42)");
        assertThat(mail.html()).startsWith("<!DOCTYPE html>");
        assertThat(classpathTemplate(LeadMailComposer.TEXT_TEMPLATE)).contains("Guten Tag");
    }

    @Test
    void unknownRoleIsRejected() {
        assertThatThrownBy(() -> facts(homeowner(), "exclusive", null, 0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exclusive");
    }

    // --- helpers -----------------------------------------------------------------------------

    private static MailFacts facts(Map<String, String> homeowner, String role, Instant exclusiveUntil,
            int otherAgents, Instant sharedSince) {
        return new MailFacts(42, 7, "80331", "München", homeowner, "Immobilien Huber", role,
                exclusiveUntil, otherAgents, sharedSince);
    }

    private static Map<String, String> homeowner() {
        Map<String, String> fields = new HashMap<>();
        fields.put("anrede", "Frau");
        fields.put("vorname", "Anna");
        fields.put("nachname", "Schmidt");
        fields.put("strasse", "Marienplatz 8");
        fields.put("plz", "80331");
        fields.put("ort", "München");
        fields.put("$phone", "+49 89 1234567");
        fields.put("email", "anna.schmidt@example.org");
        fields.put("$comment", "Rückruf ab 17 Uhr");
        fields.put("objektart", "Eigentumswohnung");
        fields.put("wohnflaeche", "85");
        return fields;
    }

    /** Copies the packaged templates into dir, as the integration team would start. */
    private static void writePackagedTemplates(Path dir) throws IOException {
        for (String name : new String[] {LeadMailComposer.SUBJECT_TEMPLATE, LeadMailComposer.HTML_TEMPLATE,
                LeadMailComposer.TEXT_TEMPLATE}) {
            write(dir, name, classpathTemplate(name));
        }
    }

    private static String classpathTemplate(String name) throws IOException {
        try (var in = LeadMailComposerTest.class.getClassLoader().getResourceAsStream("templates/mail/" + name)) {
            assertThat(in).as("packaged template " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void write(Path dir, String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }
}
