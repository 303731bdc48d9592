package de.geolead.receipts;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class CanonicalJsonTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static String canonical(String json) throws Exception {
        return CanonicalJson.text(JSON.readTree(json));
    }

    @Test
    void keysAreSortedAtEveryLevelAndThereIsNoWhitespace() throws Exception {
        assertThat(canonical("{ \"seq\" : 2, \"agent\": {\"name\": \"A\", \"id\": 7},\n \"b\": [ 3, {\"z\":1,\"a\":2} ] }"))
                .isEqualTo("{\"agent\":{\"id\":7,\"name\":\"A\"},\"b\":[3,{\"a\":2,\"z\":1}],\"seq\":2}");
    }

    @Test
    void reformattingOrReorderingGivesTheSameBytes() throws Exception {
        String a = "{\"version\":1,\"seq\":10,\"prev_hash\":null,\"ok\":true,\"name\":\"Müller & Söhne\"}";
        String b = "{\n  \"name\" : \"M\\u00fcller & S\\u00f6hne\",\n  \"ok\" : true,\n  \"prev_hash\" : null,\n  \"seq\" : 10,\n  \"version\" : 1\n}";
        assertThat(CanonicalJson.bytes(JSON.readTree(a))).isEqualTo(CanonicalJson.bytes(JSON.readTree(b)));
        assertThat(canonical(a)).isEqualTo("{\"name\":\"Müller & Söhne\",\"ok\":true,\"prev_hash\":null,\"seq\":10,\"version\":1}");
    }

    @Test
    void stringsAreEscapedMinimallyAndWrittenAsUtf8() throws Exception {
        assertThat(canonical("{\"s\":\"quote \\\" backslash \\\\ tab \\t nl \\n cr \\r bell \\u0007 slash / euro \\u20ac\"}"))
                .isEqualTo("{\"s\":\"quote \\\" backslash \\\\ tab \\t nl \\n cr \\r bell \\u0007 slash / euro €\"}");
        assertThat(CanonicalJson.bytes(JSON.readTree("{\"s\":\"€\"}")))
                .isEqualTo("{\"s\":\"€\"}".getBytes(StandardCharsets.UTF_8)).hasSize(11);
    }

    @Test
    void keysAreOrderedByUtf16CodeUnits() throws Exception {
        assertThat(canonical("{\"b\":1,\"B\":2,\"a_b\":3,\"a\":4,\"é\":5}")).isEqualTo("{\"B\":2,\"a\":4,\"a_b\":3,\"b\":1,\"é\":5}");
    }

    @Test
    void numbersArePlainAndAChangedNumberIsADifferentText() throws Exception {
        assertThat(canonical("{\"n\":12345678901234,\"m\":-3,\"big\":123456789012345678901234567890}"))
                .isEqualTo("{\"big\":123456789012345678901234567890,\"m\":-3,\"n\":12345678901234}");
        assertThat(canonical("{\"n\":5}")).isNotEqualTo(canonical("{\"n\":5.5}"));
        assertThat(canonical("{\"n\":1.50}")).isEqualTo("{\"n\":1.5}");
    }

    @Test
    void emptyContainers() throws Exception {
        assertThat(canonical("{\"o\":{},\"a\":[]}")).isEqualTo("{\"a\":[],\"o\":{}}");
    }
}
