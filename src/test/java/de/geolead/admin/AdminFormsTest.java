package de.geolead.admin;

import de.geolead.api.Requests;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminFormsTest {

    final AdminForms forms = new AdminForms();

    @Test
    void formFieldsComeFromTheMapPlatformHttpMakes() {
        assertThat(AdminForms.field(Map.of("a", "1"), "a")).isEqualTo("1");
        assertThat(AdminForms.field(Map.of("a", List.of("1", "2")), "a")).isEqualTo("1");
        assertThat(AdminForms.field(Map.of(), "a")).isNull();
        assertThat(AdminForms.field("a=1", "a")).as("not a form").isNull();
    }

    @Test
    void theCapIsAWholeNumberOrBlankForNone() {
        assertThat(forms.cap(Map.of("monthly", " 12 "))).isEqualTo(new Requests.Cap(12));
        assertThat(forms.cap(Map.of("monthly", ""))).isEqualTo(new Requests.Cap(null));
        assertThat(forms.cap(Map.of())).isEqualTo(new Requests.Cap(null));
        assertThat(forms.cap(Map.of("monthly", "-1"))).as("the API judges the range").isEqualTo(new Requests.Cap(-1));
        assertThatThrownBy(() -> forms.cap(Map.of("monthly", "zwölf"))).isInstanceOfSatisfying(AdminRefusal.class,
                refusal -> assertThat(refusal.status()).isEqualTo(400));
    }

    @Test
    void pauseAndDecisionPassTheTextOnForceIsACheckbox() {
        assertThat(forms.pause(Map.of("until", "2027-01-01"))).isEqualTo(new Requests.Pause("2027-01-01"));
        assertThat(forms.pause(Map.of("until", " "))).isEqualTo(new Requests.Pause(null));
        assertThat(forms.decision(Map.of("force", "true", "note", "ok"))).isEqualTo(new Requests.Decision(true, "ok"));
        assertThat(forms.decision(Map.of())).isEqualTo(new Requests.Decision(false, null));
        assertThat(forms.decision(Map.of("force", "false"))).isEqualTo(new Requests.Decision(false, null));
    }

    @Test
    void theLeadSearchIsReadFromTheQueryStringOnceEach() {
        assertThat(forms.leadSearch("status=&plz=101&plz=999&from=2026-01-01&cursor=abc%3D&x=1"))
                .isEqualTo(new AdminForms.LeadSearch(null, "101", "2026-01-01", null, "abc="));
        assertThat(forms.leadSearch(null)).isEqualTo(new AdminForms.LeadSearch(null, null, null, null, null));
        assertThatThrownBy(() -> forms.leadSearch("plz=%zz")).isInstanceOf(AdminRefusal.class);
    }

    @Test
    void theIdInThePathIsDigits() {
        assertThat(forms.pathId("/admin/returns/42/approve")).isEqualTo("42");
        assertThat(forms.pathId("/admin/leads/7")).isEqualTo("7");
        for (String path : new String[] {"/admin/leads/abc", "/admin/leads/", "/admin/leads/1%2C2", null}) {
            assertThatThrownBy(() -> forms.pathId(path)).as(path).isInstanceOfSatisfying(AdminRefusal.class,
                    refusal -> assertThat(refusal.status()).isEqualTo(400));
        }
    }
}
