package de.geolead.leadview;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class LeadTimelineTest {

    static final Instant T0 = Instant.parse("2026-11-20T08:00:00Z");

    static Instant at(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    static LeadTimeline.Mail mail(long id, long customer, String kind, String role, String status, String reason, Instant created,
                                  Instant scheduled, Instant enqueued, Instant claimed, Instant nextAttempt, Instant sent, int attempts) {
        return new LeadTimeline.Mail(id, customer, "Makler " + customer, kind, role, status, reason, "manual".equals(kind)
                || "resend".equals(kind) ? "ops-admin" : null, created, scheduled, enqueued, claimed, nextAttempt, sent,
                sent == null ? null : "<" + id + "@geolead>", attempts);
    }

    @Test
    void eventsAtTheSameInstantKeepTheOrderOfTheLifecycleThenTheRowId() {
        LeadTimeline.Lead lead = new LeadTimeline.Lead(99, "DF1", "distributed", null, at(0), at(9), null);
        List<TimelineEvent> events = LeadTimeline.of(lead, List.of(
                // listed out of order on purpose
                mail(12, 8, "planned", "follower", "failed", "550 mailbox unknown", at(0), at(5), at(0), at(5), null, null, 1),
                mail(11, 7, "planned", "head_start", "sent", null, at(0), at(0), at(0), at(1), null, at(1), 1)),
                List.of(), List.of());
        assertThat(events).extracting(TimelineEvent::type, TimelineEvent::distributionId).containsExactly(
                tuple("imported", null),
                tuple("planned", 11L), tuple("planned", 12L),
                tuple("claimed", 11L), tuple("sent", 11L),
                tuple("claimed", 12L), tuple("failed", 12L));
        assertThat(events.get(6).text()).isEqualTo("mail to customer 8 (Makler 8) failed: 550 mailbox unknown");
        assertThat(events.get(4).text()).isEqualTo("mail to customer 7 (Makler 7) sent, Message-ID <11@geolead>");
        assertThat(events.get(1).text()).isEqualTo("planned for customer 7 (Makler 7) as head start, scheduled for 2026-11-20T08:00:00Z");
        assertThat(events.get(0).text()).isEqualTo("imported from Dialfire contact DF1");
        assertThat(events.get(0).at()).isEqualTo("2026-11-20T08:00:00Z");
    }

    @Test
    void aLeadTheImportParkedAndOneThatFoundNobodyAndExpired() {
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(2, "DF2", "pdf_missing", "lead sheet not found", at(0), at(0), null),
                List.of(), List.of(), List.of()))
                .extracting(TimelineEvent::type, TimelineEvent::text)
                .containsExactly(tuple("imported", "imported from Dialfire contact DF2"),
                        tuple("parked", "parked at import (pdf_missing): lead sheet not found"));
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(3, "DF3", "expired", "no paying agent covered this PLZ within 7 days",
                        at(0), at(60 * 24 * 7), at(1)), List.of(), List.of(), List.of()))
                .extracting(TimelineEvent::type, TimelineEvent::text)
                .containsExactly(tuple("imported", "imported from Dialfire contact DF3"),
                        tuple("unassigned", "unassigned: no paying agent covered the PLZ"),
                        tuple("expired", "expired: no paying agent covered this PLZ within 7 days"));
    }

    @Test
    void aMailWaitingForItsNextAttemptShowsTheRetry() {
        LeadTimeline.Lead lead = new LeadTimeline.Lead(4, "DF4", "distributed", null, at(0), at(0), null);
        List<TimelineEvent> events = LeadTimeline.of(lead, List.of(mail(21, 7, "planned", "only", "pending",
                "attempt 2 failed, retrying: connection refused", at(0), at(0), at(3), null, at(10), null, 2)), List.of(), List.of());
        assertThat(events).extracting(TimelineEvent::type, TimelineEvent::at)
                .containsExactly(tuple("imported", at(0).toString()), tuple("planned", at(0).toString()),
                        tuple("retry_scheduled", at(3).toString()));
        assertThat(events.get(2).text()).isEqualTo("mail to customer 7 (Makler 7) tried again at 2026-11-20T08:10:00Z: "
                + "attempt 2 failed, retrying: connection refused");
    }

    @Test
    void auditRowsBecomeParkUnparkOrManualActionsAndAreNotToldTwice() {
        LeadTimeline.Lead lead = new LeadTimeline.Lead(5, "DF5", "pending", null, at(0), at(30), null);
        List<TimelineEvent> events = LeadTimeline.of(lead,
                List.of(mail(31, 7, "manual", "only", "sent", null, at(10), at(10), at(10), at(11), null, at(11), 1)),
                List.of(),
                List.of(new LeadTimeline.Audit(1, at(10), "ops-admin", "lead.assign", "{\"distributionId\":31}"),
                        new LeadTimeline.Audit(2, at(20), "ops-admin", "lead.park", "{\"status\":\"parked\",\"reason\":\"Dublette\"}"),
                        new LeadTimeline.Audit(3, at(25), "ops-admin", "lead.note", null),
                        new LeadTimeline.Audit(4, at(30), "ops-other", "lead.unpark", "{\"status\":\"pending\"}")));
        assertThat(events).extracting(TimelineEvent::type, TimelineEvent::text, TimelineEvent::actor).containsExactly(
                tuple("imported", "imported from Dialfire contact DF5", null),
                tuple("assigned", "assigned to customer 7 (Makler 7) by ops-admin", "ops-admin"),
                tuple("claimed", "mail to customer 7 (Makler 7) taken for sending (attempt 1)", null),
                tuple("sent", "mail to customer 7 (Makler 7) sent, Message-ID <31@geolead>", null),
                tuple("parked", "parked by ops-admin: Dublette", "ops-admin"),
                tuple("manual_action", "lead.note by ops-admin", "ops-admin"),
                tuple("unparked", "unparked by ops-other", "ops-other"));
        // the lead's own status_reason is preferred when the audit row carries it
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(6, "DF6", "parked", "parked by ops-admin: Dublette", at(0), at(1), null),
                List.of(), List.of(), List.of(new LeadTimeline.Audit(9, at(1), "ops-admin", "lead.park",
                        "{\"statusReason\":\"parked by ops-admin: Dublette\"}"))))
                .extracting(TimelineEvent::type, TimelineEvent::text)
                .containsExactly(tuple("imported", "imported from Dialfire contact DF6"), tuple("parked", "parked by ops-admin: Dublette"));
        // parked without an audit row (by SQL): told from the lead row
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(7, "DF7", "parked", "held back", at(0), at(1), null),
                List.of(), List.of(), List.of())).extracting(TimelineEvent::type).containsExactly("imported", "parked");
    }

    @Test
    void anErasedLeadShowsWhenAndWhyAndAConsentParkingShowsAsParked() {
        LeadTimeline.Lead erased = new LeadTimeline.Lead(8, "DF8", "distributed", null, at(0), at(5), null,
                Instant.parse("2027-05-20T02:30:00Z"), "retention");
        List<TimelineEvent> events = LeadTimeline.of(erased,
                List.of(mail(41, 7, "planned", "only", "sent", null, at(0), at(0), at(0), at(1), null, at(1), 1)), List.of(), List.of());
        assertThat(events).extracting(TimelineEvent::type).containsExactly("imported", "planned", "claimed", "sent", "erased");
        assertThat(events.get(4).text()).isEqualTo("erased on 2027-05-20 (retention)");
        assertThat(events.get(4).at()).isEqualTo("2027-05-20T02:30:00Z");
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(9, "DF9", "pending", null, at(0), at(0), null, at(3), "request"),
                List.of(), List.of(), List.of())).extracting(TimelineEvent::type, TimelineEvent::text)
                .containsExactly(tuple("imported", "imported from Dialfire contact DF9"),
                        tuple("erased", "erased on 2026-11-20 (data-subject request)"));
        assertThat(LeadTimeline.of(new LeadTimeline.Lead(10, "DF10", "no_consent", "no consent: field 'einwilligung' is empty",
                at(0), at(0), null), List.of(), List.of(), List.of()))
                .extracting(TimelineEvent::type, TimelineEvent::text)
                .containsExactly(tuple("imported", "imported from Dialfire contact DF10"),
                        tuple("parked", "parked at import (no_consent): no consent: field 'einwilligung' is empty"));
    }

    @Test
    void everyTypeHasItsJsonName() {
        assertThat(java.util.Arrays.stream(LeadTimeline.Type.values()).map(LeadTimeline.Type::json)).containsExactly(
                "imported", "parked", "planned", "assigned", "resend_requested", "claimed", "retry_scheduled", "sent", "skipped",
                "failed", "unassigned", "expired", "return_filed", "return_approved", "return_rejected", "parked", "unparked",
                "manual_action", "erased");
    }
}
