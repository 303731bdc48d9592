package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.geolead.dialfire.TransactionPage.Pointer;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransactionPageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static TransactionPage page(String text) throws Exception {
        return TransactionPage.parse(json(text));
    }

    /** A page as Dialfire sends it: two transactions of one contact, one of another, more to come. */
    private static final String REALISTIC = """
            {"count":3,
             "results":["2018-10-17T08:07:46.468Z0217|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166",
                        "2018-10-17T08:09:12.002Z0218|0cc175b9c0f1b6a831c399e269772661|Q4ZKX2M9T7B3HRNA|1,3",
                        "2018-10-17T08:11:03.917Z0219|92eb5ffee6ae2fec3ad71c777531578f|6EU52ECUGEJPHEJV|7,171"],
             "cursor":"MjAxOC0xMC0xN1QwODoxMTowMy45MTdafDc"}
            """;

    @Test
    void parsesARealisticPage() throws Exception {
        TransactionPage page = page(REALISTIC);

        assertThat(page.pointers()).containsExactly(
                new Pointer(Instant.parse("2018-10-17T08:07:46.468Z"), "6EU52ECUGEJPHEJV", 6, 166),
                new Pointer(Instant.parse("2018-10-17T08:09:12.002Z"), "Q4ZKX2M9T7B3HRNA", 1, 3),
                new Pointer(Instant.parse("2018-10-17T08:11:03.917Z"), "6EU52ECUGEJPHEJV", 7, 171));
        assertThat(page.cursor()).isEqualTo("MjAxOC0xMC0xN1QwODoxMTowMy45MTdafDc");
        assertThat(page.lastPage()).isFalse();
    }

    @Test
    void theOddSuffixAfterZIsIgnored() throws Exception {
        TransactionPage page = page("""
                {"count":1,"results":["2018-10-17T08:07:46.468Z0217|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166"],"cursor":"abc"}
                """);

        assertThat(page.pointers()).singleElement().satisfies(pointer -> {
            assertThat(pointer.fired()).isEqualTo(Instant.parse("2018-10-17T08:07:46.468Z"));
            assertThat(pointer.contactId()).isEqualTo("6EU52ECUGEJPHEJV");
        });
    }

    @Test
    void aPlainZTimeIsParsedToo() throws Exception {
        TransactionPage page = page("""
                {"count":1,"results":["2018-10-17T08:07:46.468Z|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166"],"cursor":"abc"}
                """);

        assertThat(page.pointers()).containsExactly(
                new Pointer(Instant.parse("2018-10-17T08:07:46.468Z"), "6EU52ECUGEJPHEJV", 6, 166));
    }

    @Test
    void timesWithoutFractionOrWithMicrosecondsAreUtc() {
        assertThat(TransactionPage.parsePointer("2024-05-03T09:41:27Z|md5|AAAAAAAAAAAAAAAA|1,1").fired())
                .isEqualTo(Instant.parse("2024-05-03T09:41:27Z"));
        assertThat(TransactionPage.parsePointer("2024-05-03T09:41:27.123456Z0001|md5|AAAAAAAAAAAAAAAA|1,1").fired())
                .isEqualTo(Instant.parse("2024-05-03T09:41:27.123456Z"));
        // no zone at all still means UTC
        assertThat(TransactionPage.parsePointer("2024-05-03T09:41:27.644|md5|AAAAAAAAAAAAAAAA|1,1").fired())
                .isEqualTo(Instant.parse("2024-05-03T09:41:27.644Z"));
    }

    @Test
    void theContactIdIsTrimmedAndExtraFieldsAreIgnored() {
        Pointer pointer = TransactionPage.parsePointer("2024-05-03T09:41:27.644Z| md5 | 6EU52ECUGEJPHEJV |6,166|extra");

        assertThat(pointer.contactId()).isEqualTo("6EU52ECUGEJPHEJV");
        assertThat(pointer.taskLogIdx()).isEqualTo(6);
        assertThat(pointer.txIdx()).isEqualTo(166);
    }

    @Test
    void aPointerWithoutUsableIndicesStillNamesItsContact() {
        assertThat(TransactionPage.parsePointer("2024-05-03T09:41:27.644Z|md5|6EU52ECUGEJPHEJV").taskLogIdx()).isEqualTo(Pointer.NO_INDEX);
        assertThat(TransactionPage.parsePointer("2024-05-03T09:41:27.644Z|md5|6EU52ECUGEJPHEJV|x,1").txIdx()).isEqualTo(Pointer.NO_INDEX);
    }

    @Test
    void contactIdsAreDistinctInFeedOrder() throws Exception {
        TransactionPage page = page("""
                {"count":5,"results":[
                  "2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1",
                  "2024-05-03T09:00:01.000Z|b|AAAAAAAAAAAAAAAA|1,1",
                  "2024-05-03T09:00:02.000Z|c|CCCCCCCCCCCCCCCC|2,2",
                  "2024-05-03T09:00:03.000Z|d|BBBBBBBBBBBBBBBB|1,1",
                  "2024-05-03T09:00:04.000Z|e|AAAAAAAAAAAAAAAA|2,2"],"cursor":""}
                """);

        assertThat(page.pointers()).hasSize(5);
        assertThat(page.contactIds()).containsExactly("CCCCCCCCCCCCCCCC", "AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB");
    }

    @Test
    void maxFiredIsTheLatestTimeEvenWhenNotLast() throws Exception {
        TransactionPage page = page("""
                {"count":3,"results":[
                  "2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1",
                  "2024-05-03T11:30:00.250Z0007|b|AAAAAAAAAAAAAAAA|1,1",
                  "2024-05-03T10:00:00.000Z|c|BBBBBBBBBBBBBBBB|1,1"],"cursor":"x"}
                """);

        assertThat(page.maxFired()).contains(Instant.parse("2024-05-03T11:30:00.250Z"));
    }

    @Test
    void anEmptyPageHasNoMaxFiredAndNoContacts() throws Exception {
        TransactionPage page = page("""
                {"count":0,"results":[],"cursor":""}
                """);

        assertThat(page.pointers()).isEmpty();
        assertThat(page.contactIds()).isEmpty();
        assertThat(page.maxFired()).isEmpty();
        assertThat(page.lastPage()).isTrue();
    }

    @Test
    void anEmptyCursorMarksTheLastPage() throws Exception {
        TransactionPage page = page("""
                {"count":1,"results":["2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1"],"cursor":""}
                """);

        assertThat(page.cursor()).isEmpty();
        assertThat(page.lastPage()).isTrue();
    }

    @Test
    void aMissingCursorMarksTheLastPage() throws Exception {
        TransactionPage page = page("""
                {"count":1,"results":["2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1"]}
                """);

        assertThat(page.cursor()).isEmpty();
        assertThat(page.lastPage()).isTrue();
    }

    @Test
    void aNullCursorMarksTheLastPage() throws Exception {
        TransactionPage page = page("""
                {"count":1,"results":["2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1"],"cursor":null}
                """);

        assertThat(page.cursor()).isEmpty();
        assertThat(page.lastPage()).isTrue();
    }

    @Test
    void aNonEmptyCursorIsNotTheLastPage() throws Exception {
        assertThat(page("""
                {"count":0,"results":[],"cursor":"abc"}
                """).lastPage()).isFalse();
        assertThat(new TransactionPage(java.util.List.of(), null).lastPage()).isTrue();
    }

    @Test
    void thePointersCannotBeChanged() throws Exception {
        TransactionPage page = page(REALISTIC);

        assertThatThrownBy(() -> page.pointers().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "not-a-pointer",
            "2018-10-17T08:07:46.468Z0217",
            "2018-10-17T08:07:46.468Z0217|cf44c921a79577858dea5a5b89e9f219",
            "2018-10-17T08:07:46.468Z0217|cf44c921a79577858dea5a5b89e9f219|",
            "2018-10-17T08:07:46.468Z0217|cf44c921a79577858dea5a5b89e9f219|   |6,166",
            "yesterday|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166",
            "17.10.2018 08:07|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166",
            " 2018-10-17T08:07:46.468Z|cf44c921a79577858dea5a5b89e9f219|6EU52ECUGEJPHEJV|6,166"})
    void aMalformedPointerIsRejected(String pointer) throws Exception {
        JsonNode page = JSON.createObjectNode()
                .put("count", 1)
                .put("cursor", "")
                .set("results", JSON.createArrayNode().add(pointer));

        assertThatThrownBy(() -> TransactionPage.parse(page))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Malformed")
                .hasMessageContaining(pointer);
    }

    @Test
    void aNonTextResultIsRejected() {
        assertThatThrownBy(() -> page("""
                {"count":1,"results":[{"contact":"6EU52ECUGEJPHEJV"}],"cursor":""}
                """)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> page("""
                {"count":1,"results":[null],"cursor":""}
                """)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"count\":0,\"cursor\":\"\"}",
            "{\"count\":0,\"results\":null,\"cursor\":\"\"}",
            "{\"count\":1,\"results\":\"2024-05-03T09:00:00.000Z|a|CCCCCCCCCCCCCCCC|1,1\",\"cursor\":\"\"}",
            "{\"count\":0,\"results\":{},\"cursor\":\"\"}",
            "[]",
            "{\"error\":\"Forbidden\"}"})
    void anAnswerWithoutAResultsArrayIsRejected(String answer) {
        assertThatThrownBy(() -> page(answer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("results");
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> TransactionPage.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("results");
    }
}
