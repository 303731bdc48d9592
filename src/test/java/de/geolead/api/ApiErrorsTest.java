package de.geolead.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ApiErrorsTest {

    @Test
    void aProblemKeepsItsStatusCodeAndDetailAlsoWhenABeanCallWrapsIt() {
        ApiProblem problem = ApiProblem.conflict("customer 7 is unpaid");
        RuntimeException wrapped = new RuntimeException("Failed to invoke method", problem);

        assertThat(ApiErrors.status(wrapped)).isEqualTo(409);
        var body = JsonParser.parseString(ApiErrors.body(wrapped)).getAsJsonObject();
        assertThat(body.get("error").getAsString()).isEqualTo("conflict");
        assertThat(body.get("detail").getAsString()).isEqualTo("customer 7 is unpaid");
        assertThat(ApiErrors.status(ApiProblem.notFound("lead", 42))).isEqualTo(404);
        assertThat(ApiErrors.body(ApiProblem.notFound("lead", 42))).contains("\"detail\":\"no lead 42\"");
    }

    @Test
    void aBodyThatIsNotJsonIs400() {
        Exception bad = new IllegalStateException("binding failed", new JsonParseException(null, "Unexpected character"));

        assertThat(ApiErrors.status(bad)).isEqualTo(400);
        assertThat(JsonParser.parseString(ApiErrors.body(bad)).getAsJsonObject().get("error").getAsString()).isEqualTo("bad_request");
    }

    @Test
    void anyOtherFailureIs500AndTellsNothingOfItsCause() {
        Exception failure = new IllegalStateException("duplicate key value violates unique constraint: (email)=(agent@example.de)");

        assertThat(ApiErrors.status(failure)).isEqualTo(500);
        assertThat(ApiErrors.body(failure)).contains("\"error\":\"internal\"").doesNotContain("agent@example.de").doesNotContain("duplicate");
    }

    @Test
    void detailsAreValidJsonWhateverTheyHold() {
        String body = ApiErrors.body(ApiProblem.badRequest("plz \"1<2\" \\ is not a PLZ\n"));

        assertThat(JsonParser.parseString(body).getAsJsonObject().get("detail").getAsString()).isEqualTo("plz \"1<2\" \\ is not a PLZ\n");
    }
}
