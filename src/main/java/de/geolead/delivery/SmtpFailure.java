package de.geolead.delivery;

import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * What one failed SMTP attempt means. Only a permanent rejection of this recipient or this message
 * (an SMTP 5xx reply to RCPT TO, DATA or the end of the data) is {@code permanent}; everything else
 * (connection refused or dropped, timeouts, 4xx replies, a rejected login or a 5xx to MAIL FROM, which
 * concern the configuration of every mail, not this one) is transient and retried.
 *
 * @param permanent whether retrying cannot help
 * @param reason    a short description without e-mail addresses (the agent's address is no log material)
 */
public record SmtpFailure(boolean permanent, String reason) {

    private static final int MAX_REASON = 300;

    public static SmtpFailure of(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = failure; t != null && seen.put(t, Boolean.TRUE) == null; t = next(t)) {
            int code = t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                    : t instanceof SMTPSendFailedException s && !isMailFrom(s.getCommand()) ? s.getReturnCode() : 0;
            if (code >= 500 && code <= 599) {
                return new SmtpFailure(true, "SMTP rejected the " + (t instanceof SMTPAddressFailedException ? "recipient" : "message")
                        + " permanently: " + describe(t));
            }
        }
        return new SmtpFailure(false, describe(innermost(failure)));
    }

    /** A rejection of MAIL FROM (the sender, a required login): JavaMail reports it as SMTPSendFailedException too. */
    private static boolean isMailFrom(String command) {
        return command != null && command.regionMatches(true, 0, "MAIL FROM", 0, 9);
    }

    /** The next exception in JavaMail's chain or the cause. */
    private static Throwable next(Throwable t) {
        if (t instanceof MessagingException m && m.getNextException() != null) {
            return m.getNextException();
        }
        return t.getCause();
    }

    private static Throwable innermost(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable t = failure;
        while (t != null && seen.put(t, Boolean.TRUE) == null && next(t) != null) {
            t = next(t);
        }
        return t == null ? failure : t;
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String message = t.getMessage() == null ? "" : t.getMessage().replaceAll("\\s+", " ").trim();
        // SMTP replies often quote the address ("550 5.1.1 <anna@…>: unknown"): keep ids only in logs and reasons
        message = message.replaceAll("<?[^\\s<>@]+@[^\\s<>]+>?", "<address>");
        String text = t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
        return text.length() > MAX_REASON ? text.substring(0, MAX_REASON) : text;
    }
}
