package de.geolead.delivery;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.util.MailConnectException;
import org.eclipse.angus.mail.util.SocketConnectException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backoff, retry period and the permanent/transient verdict on JavaMail's exceptions, without a server. */
class MailRetryTest {

    static final MailRetry RETRY = new MailRetry(Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofDays(2), Duration.ofMinutes(10));

    @Test
    void theWaitDoublesFromTheBackoffUpToTheMaximum() {
        assertThat(RETRY.delayAfter(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(RETRY.delayAfter(2)).isEqualTo(Duration.ofSeconds(20));
        assertThat(RETRY.delayAfter(6)).isEqualTo(Duration.ofSeconds(320));
        assertThat(RETRY.delayAfter(7)).isEqualTo(Duration.ofMinutes(10));
        assertThat(RETRY.delayAfter(10_000)).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void noAttemptAfterTheRetryPeriodAndTheLastOneAtItsEnd() {
        Instant due = Instant.parse("2026-11-01T10:00:00Z");
        assertThat(RETRY.nextAttempt(due, 1, due.plusSeconds(1))).isEqualTo(due.plusSeconds(11));
        Instant nearTheEnd = due.plus(Duration.ofDays(2)).minusSeconds(60);
        assertThat(RETRY.nextAttempt(due, 300, nearTheEnd)).isEqualTo(due.plus(Duration.ofDays(2)));
        assertThat(RETRY.nextAttempt(due, 301, due.plus(Duration.ofDays(2)))).isNull();
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThatThrownBy(() -> new MailRetry(Duration.ofMinutes(20), Duration.ofMinutes(10), Duration.ofDays(2), Duration.ofMinutes(10)))
                .hasMessageContaining("GEOLEAD_MAIL_MAX_BACKOFF");
    }

    @Test
    void onlyA5xxForTheRecipientOrTheMessageIsPermanent() throws Exception {
        InternetAddress agent = new InternetAddress("anna.makler@example.test");
        SMTPAddressFailedException unknownUser = new SMTPAddressFailedException(agent, "RCPT TO:<anna.makler@example.test>", 550,
                "550 5.1.1 <anna.makler@example.test>: Recipient address rejected");
        SmtpFailure rejected = SmtpFailure.of(new SendFailedException("Invalid Addresses", unknownUser));
        assertThat(rejected.permanent()).isTrue();
        assertThat(rejected.reason()).contains("550", "recipient").doesNotContain("anna.makler");

        assertThat(SmtpFailure.of(new SMTPSendFailedException("DATA", 554, "554 5.7.1 spam", null, null, null, null)).permanent()).isTrue();

        SMTPAddressFailedException greylisted = new SMTPAddressFailedException(agent, "RCPT TO", 451, "451 4.7.1 try again later");
        assertThat(SmtpFailure.of(new SendFailedException("Invalid Addresses", greylisted)).permanent()).isFalse();
        SMTPSendFailedException senderRejected = new SMTPSendFailedException("MAIL FROM:<leads@geolead.test>", 553,
                "553 5.7.1 sender not owned", null, null, null, null);
        senderRejected.setNextException(new SMTPSenderFailedException(new InternetAddress("leads@geolead.test"),
                "MAIL FROM:<leads@geolead.test>", 553, "553 5.7.1 sender not owned"));
        assertThat(SmtpFailure.of(senderRejected).permanent()).as("a rejected sender concerns every mail, not this one").isFalse();
        assertThat(SmtpFailure.of(new SMTPSendFailedException("MAIL FROM:<leads@geolead.test>", 530, "530 5.7.0 Authentication required",
                null, null, null, null)).permanent()).isFalse();
        MailConnectException refused = new MailConnectException(new SocketConnectException("Connection refused", new ConnectException("refused"), "127.0.0.1", 25, 10000));
        assertThat(SmtpFailure.of(new org.apache.camel.RuntimeCamelException(refused)).permanent()).isFalse();
        assertThat(SmtpFailure.of(new MessagingException("Exception reading response", new SocketTimeoutException("Read timed out"))))
                .satisfies(f -> assertThat(f.permanent()).isFalse())
                .satisfies(f -> assertThat(f.reason()).contains("Read timed out"));
    }
}
