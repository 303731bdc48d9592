package de.geolead.subjects;

import de.geolead.api.ApiProblem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The erasure's {@code reference}: a ticket number kept in the audit log, so never the person's data. */
class DataSubjectReferenceTest {

    static final Homeowner ERIKA = Homeowner.of("030 1234567", "erika@example.de");

    @ParameterizedTest
    @ValueSource(strings = {"DSGVO-2026-0042", "#4711", "Ticket 12/2026", "ZD:2026.11.28_01", "Anfrage Übermittlung"})
    void ticketNumbersAreKept(String reference) {
        assertThat(DataSubjects.reference(" " + reference + " ", ERIKA)).isEqualTo(reference);
    }

    @Test
    void noneIsNull() {
        assertThat(DataSubjects.reference(null, ERIKA)).isNull();
        assertThat(DataSubjects.reference("  ", ERIKA)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"erika@example.de", "Ticket\n12", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "<script>", "ticket; drop", "+49 30 1234567",
            "030 1234567", "Anruf 030/123 45 67"})
    void anythingElseIsABadRequestThatDoesNotQuoteIt(String reference) {
        assertThatThrownBy(() -> DataSubjects.reference(reference, ERIKA)).isInstanceOf(ApiProblem.class)
                .satisfies(e -> {
                    assertThat(((ApiProblem) e).status()).isEqualTo(400);
                    assertThat(e.getMessage()).doesNotContain(reference).startsWith("the reference must");
                });
    }
}
