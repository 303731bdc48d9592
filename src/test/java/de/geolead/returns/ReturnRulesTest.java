package de.geolead.returns;

import de.geolead.api.ApiProblem;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The input rules of a return (reason, note), the rate, and the link pages' plain parts, without a database. */
class ReturnRulesTest {

    @Test
    void everyKnownReasonIsAcceptedAndOthersAreRefusedWithTheList() {
        for (String code : ReturnReasons.CODES) {
            assertThat(ReturnDesk.checkedReasonAndNote(code, "ok")).isEqualTo("ok");
        }
        assertThat(ReturnReasons.CODES).containsExactly("no_request", "unreachable", "wrong_data", "duplicate", "wrong_region", "other");
        assertThatThrownBy(() -> ReturnDesk.checkedReasonAndNote("Other", null)).isInstanceOf(ApiProblem.class)
                .hasMessageContaining("reason must be one of no_request, unreachable, wrong_data, duplicate, wrong_region, other, was 'Other'");
        assertThatThrownBy(() -> ReturnDesk.checkedReasonAndNote(null, null)).hasMessageContaining("(missing)");
    }

    @Test
    void theNoteIsOptionalUpToAThousandCharactersAndRequiredForOther() {
        assertThat(ReturnDesk.checkedReasonAndNote("duplicate", null)).isNull();
        assertThat(ReturnDesk.checkedReasonAndNote("duplicate", "  \n ")).isNull();
        assertThat(ReturnDesk.checkedReasonAndNote("duplicate", " Zeile 1\nZeile 2\t ")).isEqualTo("Zeile 1\nZeile 2");
        assertThat(ReturnDesk.checkedReasonAndNote("other", "x".repeat(1000))).hasSize(1000);
        assertThatThrownBy(() -> ReturnDesk.checkedReasonAndNote("other", "x".repeat(1001))).hasMessageContaining("at most 1000");
        assertThatThrownBy(() -> ReturnDesk.checkedReasonAndNote("other", " ")).hasMessageContaining("a note is required for reason other");
        assertThatThrownBy(() -> ReturnDesk.checkedReasonAndNote("duplicate", "bell\u0007")).hasMessageContaining("control characters");
    }

    @Test
    void theRateIsReturnsPerLeadWithThreeDecimals() {
        assertThat(ReturnRate.rate(1, 3)).isEqualTo(new BigDecimal("0.333"));
        assertThat(ReturnRate.rate(2, 3)).isEqualTo(new BigDecimal("0.667"));
        assertThat(ReturnRate.rate(1, 5)).isEqualTo(new BigDecimal("0.200"));
        assertThat(ReturnRate.rate(1, 8)).isEqualTo(new BigDecimal("0.125"));
        assertThat(ReturnRate.rate(0, 0)).isEqualTo(new BigDecimal("0.000"));
    }

    @Test
    void withLinksOffEveryLinkPageIs404() {
        ReturnLinks off = new ReturnLinks("", "", Duration.ofDays(7), Clock.systemUTC());
        ReturnLinkPages pages = new ReturnLinkPages(off, null, java.time.ZoneId.of("Europe/Berlin"));
        assertThatThrownBy(() -> pages.answer("GET", "anything", null)).isInstanceOf(ReturnLinkPages.LinkProblem.class)
                .satisfies(e -> assertThat(((ReturnLinkPages.LinkProblem) e).status()).isEqualTo(404));
        ReturnLinkPages.Page page = pages.problem(new RuntimeException(new IllegalStateException("boom")));
        assertThat(page.status()).isEqualTo(500);
        assertThat(page.html()).contains("Es ist ein Fehler aufgetreten").doesNotContain("boom");
    }

    @Test
    void formFieldsComeFromAMapOrFromUrlEncodedText() {
        assertThat(ReturnLinkPages.fields(Map.of("reason", List.of("duplicate", "other"), "note", "a & b")))
                .containsEntry("reason", "duplicate").containsEntry("note", "a & b");
        assertThat(ReturnLinkPages.fields("reason=other&note=a+%26+b&reason=duplicate&bad=%zz"))
                .containsEntry("reason", "other").containsEntry("note", "a & b").doesNotContainKey("bad");
        assertThat(ReturnLinkPages.fields(null)).isEmpty();
    }
}
