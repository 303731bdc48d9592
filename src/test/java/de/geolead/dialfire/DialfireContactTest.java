package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.geolead.simulator.dialfire.DialfireSimulator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DialfireContactTest {

    /** A flat_view contact as Dialfire returns it, with personal data in the campaign fields. */
    private static Map<String, Object> flatView(String status, String task) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("$id", "6EU52ECUGEJPHEJV");
        fields.put("$version", "K3M9Q2X7B4N8R1TZ");
        fields.put("$status", status);
        fields.put("$status_detail", "success".equals(status) ? "Termin" : "$none");
        fields.put("$task", task);
        fields.put("$phone", "+4930123456789");
        fields.put("$entry_date", "2024-05-03T09:41:27.644Z");
        fields.put("$task_log", List.of(Map.of("task", task, "transactions", List.of())));
        fields.put("vorname", "Hildegard");
        fields.put("nachname", "Müller-Lüdenscheidt");
        fields.put("strasse", "Rosenweg 17");
        fields.put("plz", "80331");
        fields.put("ort", "München");
        fields.put("email", "hildegard@example.org");
        fields.put("pdf_url", "leads/6EU52ECUGEJPHEJV.pdf");
        return fields;
    }

    private static DialfireContact contact(String status, String task) {
        return new DialfireContact(flatView(status, task));
    }

    private static DialfireContact with(String key, Object value) {
        Map<String, Object> fields = flatView("success", "termin_vereinbart");
        fields.put(key, value);
        return new DialfireContact(fields);
    }

    // ------------------------------------------------------------------ field()

    @Test
    void scalarFieldsAreTextTrimmed() {
        DialfireContact contact = new DialfireContact(Map.of(
                "plz", " 80331 ",
                "zimmer", 4,
                "wohnflaeche", 92.5,
                "vermietet", false));

        assertThat(contact.field("plz")).isEqualTo("80331");
        assertThat(contact.field("zimmer")).isEqualTo("4");
        assertThat(contact.field("wohnflaeche")).isEqualTo("92.5");
        assertThat(contact.field("vermietet")).isEqualTo("false");
    }

    @Test
    void aMissingFieldIsEmpty() {
        assertThat(contact("success", "termin").field("baujahr")).isEmpty();
        assertThat(new DialfireContact(Map.of()).field("$id")).isEmpty();
    }

    @Test
    void anEmptyOrBlankFieldIsEmpty() {
        assertThat(with("plz", "").field("plz")).isEmpty();
        assertThat(with("plz", "   ").field("plz")).isEmpty();
    }

    @Test
    void nonScalarFieldsAreEmpty() {
        DialfireContact contact = new DialfireContact(Map.of(
                "$task_log", List.of(Map.of("task", "anrufen")),
                "adresse", Map.of("plz", "80331"),
                "tags", List.of("a", "b")));

        assertThat(contact.field("$task_log")).isEmpty();
        assertThat(contact.field("adresse")).isEmpty();
        assertThat(contact.field("tags")).isEmpty();
    }

    @Test
    void nullValuesAndKeysAreDroppedNotKept() {
        Map<String, Object> fields = new HashMap<>();
        fields.put("$id", "6EU52ECUGEJPHEJV");
        fields.put("plz", null);
        fields.put(null, "orphan");

        DialfireContact contact = new DialfireContact(fields);

        assertThat(contact.fields()).containsOnlyKeys("$id");
        assertThat(contact.field("plz")).isEmpty();
    }

    @Test
    void theFieldsAreACopyThatCannotBeChanged() {
        Map<String, Object> fields = flatView("success", "termin");
        DialfireContact contact = new DialfireContact(fields);

        fields.put("plz", "10115");

        assertThat(contact.field("plz")).isEqualTo("80331");
        assertThatThrownBy(() -> contact.fields().put("plz", "10115"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void systemFieldAccessors() {
        DialfireContact contact = contact("success", "termin_vereinbart");

        assertThat(contact.id()).isEqualTo("6EU52ECUGEJPHEJV");
        assertThat(contact.version()).isEqualTo("K3M9Q2X7B4N8R1TZ");
        assertThat(contact.status()).isEqualTo("success");
        assertThat(contact.task()).isEqualTo("termin_vereinbart");
    }

    // ------------------------------------------------------------------ isReady()

    @Test
    void successWithoutConfiguredTasksIsReady() {
        assertThat(contact("success", "anrufen").isReady(List.of())).isTrue();
        assertThat(contact("success", "").isReady(List.of())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"open", "declined", "failed", "", "Success", "successful"})
    void anyOtherStatusIsNotReady(String status) {
        assertThat(contact(status, "termin_vereinbart").isReady(List.of())).isFalse();
        assertThat(contact(status, "termin_vereinbart").isReady(List.of("termin"))).isFalse();
    }

    @Test
    void aStatusWithSurroundingWhitespaceStillCounts() {
        assertThat(contact(" success ", "termin_vereinbart").isReady(List.of())).isTrue();
    }

    @Test
    void theTaskMustStartWithAConfiguredPrefix() {
        DialfireContact contact = contact("success", "termin_vereinbart");

        assertThat(contact.isReady(List.of("termin"))).isTrue();
        assertThat(contact.isReady(List.of("termin_vereinbart"))).isTrue();
        assertThat(contact.isReady(List.of("rueckruf", "termin"))).isTrue();
        assertThat(contact.isReady(List.of("rueckruf"))).isFalse();
        // a prefix, not a substring, and case-sensitive
        assertThat(contact.isReady(List.of("vereinbart"))).isFalse();
        assertThat(contact.isReady(List.of("Termin"))).isFalse();
        assertThat(contact.isReady(List.of("termin_vereinbart_2"))).isFalse();
    }

    @Test
    void withConfiguredTasksAContactWithoutTaskIsNotReady() {
        assertThat(contact("success", "").isReady(List.of("termin"))).isFalse();
        assertThat(new DialfireContact(Map.of("$id", "6EU52ECUGEJPHEJV", "$status", "success"))
                .isReady(List.of("termin"))).isFalse();
    }

    @Test
    void withoutAnIdNothingIsReady() {
        Map<String, Object> fields = flatView("success", "termin_vereinbart");
        fields.remove("$id");

        assertThat(new DialfireContact(fields).isReady(List.of())).isFalse();
        assertThat(new DialfireContact(fields).isReady(List.of("termin"))).isFalse();
        assertThat(with("$id", "").isReady(List.of())).isFalse();
        assertThat(with("$id", "   ").isReady(List.of())).isFalse();
    }

    @Test
    void readinessOfSimulatorContacts() {
        try (DialfireSimulator sim = DialfireSimulator.start(0, "DXX5XQHGZ3R4W6R3", "token")) {
            String open = sim.addContact("anrufen", Map.of("plz", "80331"));
            String success = sim.addContact("anrufen", Map.of("plz", "10115"));
            sim.succeed(success, "termin_vereinbart");
            String declined = sim.addContact("anrufen", Map.of("plz", "20095"));
            sim.moveTo(declined, "termin_vereinbart", "declined");

            assertThat(new DialfireContact(sim.contact(open)).isReady(List.of())).isFalse();
            assertThat(new DialfireContact(sim.contact(declined)).isReady(List.of())).isFalse();
            DialfireContact ready = new DialfireContact(sim.contact(success));
            assertThat(ready.id()).isEqualTo(success);
            assertThat(ready.isReady(List.of())).isTrue();
            assertThat(ready.isReady(List.of("termin"))).isTrue();
            assertThat(ready.isReady(List.of("anrufen"))).isFalse();
            assertThat(ready.field("plz")).isEqualTo("10115");
        }
    }

    @Test
    void readinessByTheFeedTransactionSurvivesAMoveToAnotherTask() {
        try (DialfireSimulator sim = DialfireSimulator.start(0, "DXX5XQHGZ3R4W6R3", "token")) {
            String id = sim.addContact("anrufen", Map.of("plz", "10115"));
            sim.succeed(id, "termin_vereinbart");          // $task_log[1].transactions[0]
            sim.moveTo(id, "nachbearbeitung", "open");     // $task_log[2].transactions[0]
            DialfireContact moved = new DialfireContact(sim.contact(id));
            TransactionPage.Pointer success = new TransactionPage.Pointer(java.time.Instant.EPOCH, id, 1, 0);
            TransactionPage.Pointer reopened = new TransactionPage.Pointer(java.time.Instant.EPOCH, id, 2, 0);

            assertThat(moved.isReady(List.of("termin"))).as("by its current state").isFalse();
            assertThat(moved.isReady(List.of(success), List.of("termin"))).isTrue();
            assertThat(moved.isReady(List.of(success), List.of())).isTrue();
            assertThat(moved.isReady(List.of(success), List.of("anrufen"))).as("success in another task").isFalse();
            assertThat(moved.isReady(List.of(reopened), List.of("termin"))).isFalse();
            assertThat(moved.isReady(List.of(new TransactionPage.Pointer(java.time.Instant.EPOCH, id, 9, 9)), List.of("termin")))
                    .as("a pointer past the task log").isFalse();
            assertThat(moved.isReady(List.of(new TransactionPage.Pointer(java.time.Instant.EPOCH, id)), List.of("termin"))).isFalse();
        }
    }

    @Test
    void aRevokedSuccessTransactionDoesNotCount() {
        Map<String, Object> fields = new HashMap<>(Map.of("$id", "6EU52ECUGEJPHEJV", "$status", "open", "$task", "anrufen"));
        fields.put("$task_log", List.of(Map.of("task_name", "anrufen",
                "transactions", List.of(Map.of("status", "success", "revoked", true), Map.of("status", "success", "revoked", false)))));
        DialfireContact contact = new DialfireContact(fields);

        assertThat(contact.isReady(List.of(new TransactionPage.Pointer(java.time.Instant.EPOCH, contact.id(), 0, 0)), List.of("anrufen"))).isFalse();
        assertThat(contact.isReady(List.of(new TransactionPage.Pointer(java.time.Instant.EPOCH, contact.id(), 0, 1)), List.of("anrufen")))
                .as("task from the task log entry").isTrue();
    }

    // ------------------------------------------------------------------ describe()

    @Test
    void describeNamesIdTaskAndStatus() {
        assertThat(contact("success", "termin_vereinbart").describe())
                .isEqualTo("6EU52ECUGEJPHEJV (task termin_vereinbart, status success)");
        assertThat(contact("open", "").describe())
                .isEqualTo("6EU52ECUGEJPHEJV (task -, status open)");
    }

    @Test
    void describeContainsNoPersonalData() {
        Map<String, Object> fields = flatView("success", "termin_vereinbart");
        String description = new DialfireContact(fields).describe();

        fields.forEach((key, value) -> {
            if (!key.startsWith("$") && value instanceof String text && !text.isEmpty()) {
                assertThat(description).as("campaign field %s", key).doesNotContain(text);
            }
        });
        assertThat(description).doesNotContain("Hildegard", "Müller", "80331", "München", "Rosenweg", "example.org",
                "+4930123456789", "123456789", "K3M9Q2X7B4N8R1TZ");
    }
}
