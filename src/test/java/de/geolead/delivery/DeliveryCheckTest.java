package de.geolead.delivery;

import de.geolead.delivery.DeliveryCheck.Facts;
import de.geolead.delivery.DeliveryCheck.Verdict;
import de.geolead.distribution.DeliveryWindow;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The send-time check without a database: row facts, window and clock in, verdict out. */
class DeliveryCheckTest {

    /** Monday 10:00 in Berlin: inside 07:00-20:00. */
    static final Instant OPEN = Instant.parse("2026-11-30T09:00:00Z");
    /** Monday 21:00 in Berlin: closed until Tuesday 07:00 (06:00Z). */
    static final Instant CLOSED = Instant.parse("2026-11-30T20:00:00Z");
    static final DeliveryWindow WINDOW = DeliveryWindow.parse("07:00-20:00", DeliveryWindow.DEFAULT_ZONE);

    static Facts due() {
        return new Facts("pending", null, "paid", null, "80331", true, true);
    }

    static Facts with(String status, Instant nextAttemptAt, String customerStatus, Instant pausedUntil, boolean covered, boolean hasPdf) {
        return new Facts(status, nextAttemptAt, customerStatus, pausedUntil, "80331", covered, hasPdf);
    }

    @Test
    void aDueMailOfAPayingCoveringAgentIsSent() {
        assertThat(DeliveryCheck.check(due(), WINDOW, OPEN)).isEqualTo(new Verdict(Delivery.SEND, null, null));
    }

    @Test
    void outsideTheWindowItWaitsForTheNextOpening() {
        assertThat(DeliveryCheck.check(due(), WINDOW, CLOSED))
                .isEqualTo(new Verdict(Delivery.RESCHEDULE, null, Instant.parse("2026-12-01T06:00:00Z")));
    }

    @Test
    void anAgentWhoStoppedPayingPausedOrNoLongerCoversThePlzIsSkippedWithTheReason() {
        assertThat(DeliveryCheck.check(with("pending", null, "cancelled", null, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "customer is cancelled at send time", null));
        Instant pause = OPEN.plusSeconds(3600);
        assertThat(DeliveryCheck.check(with("pending", null, "paid", pause, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "customer paused until " + pause, null));
        assertThat(DeliveryCheck.check(with("pending", null, "paid", OPEN.minusSeconds(1), true, true), WINDOW, OPEN).action())
                .as("a pause that is over").isEqualTo(Delivery.SEND);
        assertThat(DeliveryCheck.check(with("pending", null, "paid", null, false, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "no active subscription covers PLZ 80331 at send time", null));
        assertThat(DeliveryCheck.check(with("pending", null, "paid", null, true, false), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "the lead sheet is missing", null));
    }

    @Test
    void aRowFoundSkippedOrFailedIsFollowedUpAgainAndOneSentOrClaimedIsADuplicate() {
        assertThat(DeliveryCheck.check(with("skipped", null, "paid", null, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "already skipped", null));
        assertThat(DeliveryCheck.check(with("failed", null, "paid", null, true, true), WINDOW, CLOSED))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "already failed", null));
        assertThat(DeliveryCheck.check(with("sent", null, "paid", null, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.DUPLICATE, "already sent", null));
        assertThat(DeliveryCheck.check(with("sending", null, "paid", null, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.DUPLICATE, "already sending", null));
    }

    @Test
    void aMessageBeforeTheRetrysOwnTimeIsADuplicateButTheRetrysOwnMessageIsSent() {
        Instant retryAt = OPEN.plusSeconds(60);
        assertThat(DeliveryCheck.check(with("pending", retryAt, "paid", null, true, true), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.DUPLICATE, "next attempt is scheduled for " + retryAt, null));
        assertThat(DeliveryCheck.check(with("pending", OPEN.plusMillis(500), "paid", null, true, true), WINDOW, OPEN).action())
                .as("released by Artemis a little early").isEqualTo(Delivery.SEND);
    }
    /** A pending, due mail of the given kind; everything else as stated. */
    static Facts mail(String kind, boolean forced, String customerStatus, Instant pausedUntil, boolean covered, boolean hasPdf,
                      String leadStatus) {
        return new Facts("pending", null, customerStatus, pausedUntil, "80331", covered, hasPdf, kind, forced, leadStatus);
    }

    @Test
    void aForcedHandOutAndAResendNeedNoCoveringSubscriptionButAPlainHandOutDoes() {
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.MANUAL, true, "paid", null, false, true, "distributed"), WINDOW, OPEN).action())
                .isEqualTo(Delivery.SEND);
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.RESEND, false, "paid", null, false, true, "distributed"), WINDOW, OPEN).action())
                .isEqualTo(Delivery.SEND);
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.MANUAL, false, "paid", null, false, true, "distributed"), WINDOW, OPEN))
                .isEqualTo(new Verdict(Delivery.SKIPPED, "no active subscription covers PLZ 80331 at send time", null));
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.PLANNED, false, "paid", null, false, true, "distributed"), WINDOW, OPEN).action())
                .isEqualTo(Delivery.SKIPPED);
    }

    @Test
    void aResendIgnoresThePauseWhilePlannedAndManualMailsOfAPausedAgentAreSkipped() {
        Instant pause = OPEN.plusSeconds(3600);
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.RESEND, false, "paid", pause, true, true, "distributed"), WINDOW, OPEN).action())
                .isEqualTo(Delivery.SEND);
        for (String kind : new String[] {DeliveryCheck.PLANNED, DeliveryCheck.MANUAL}) {
            assertThat(DeliveryCheck.check(mail(kind, true, "paid", pause, true, true, "distributed"), WINDOW, OPEN))
                    .as(kind).isEqualTo(new Verdict(Delivery.SKIPPED, "customer paused until " + pause, null));
        }
    }

    @Test
    void everyKindNeedsAPayingAgentTheLeadSheetAndALeadThatIsNotParked() {
        for (String kind : new String[] {DeliveryCheck.PLANNED, DeliveryCheck.MANUAL, DeliveryCheck.RESEND}) {
            assertThat(DeliveryCheck.check(mail(kind, true, "paid", null, true, true, "parked"), WINDOW, OPEN))
                    .as(kind).isEqualTo(new Verdict(Delivery.SKIPPED, "lead parked", null));
            assertThat(DeliveryCheck.check(mail(kind, true, "paid", null, true, true, "no_consent"), WINDOW, OPEN))
                    .as(kind).isEqualTo(new Verdict(Delivery.SKIPPED, "no consent to pass the lead on", null));
            assertThat(DeliveryCheck.check(mail(kind, true, "unpaid", null, true, true, "distributed"), WINDOW, OPEN))
                    .as(kind).isEqualTo(new Verdict(Delivery.SKIPPED, "customer is unpaid at send time", null));
            assertThat(DeliveryCheck.check(mail(kind, true, "paid", null, true, false, "distributed"), WINDOW, OPEN))
                    .as(kind).isEqualTo(new Verdict(Delivery.SKIPPED, "the lead sheet is missing", null));
            assertThat(DeliveryCheck.check(mail(kind, true, "paid", null, true, true, "distributed"), WINDOW, OPEN).action())
                    .as(kind).isEqualTo(Delivery.SEND);
        }
    }

    @Test
    void aMailOfAParkedLeadWaitsForTheWindowLikeAnyOtherAndIsSkippedThen() {
        assertThat(DeliveryCheck.check(mail(DeliveryCheck.PLANNED, false, "paid", null, true, true, "parked"), WINDOW, CLOSED).action())
                .isEqualTo(Delivery.RESCHEDULE);
    }
}
