package de.geolead.delivery;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Objects;

import jakarta.activation.DataHandler;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;

/** Turns a {@link LeadMail} and its lead sheet PDF into a MIME message ready for SMTP. */
public final class LeadMailMessage {

    private static final String UTF_8 = StandardCharsets.UTF_8.name();
    private static final String FALLBACK_DOMAIN = "geolead.local";

    private LeadMailMessage() {
    }

    /**
     * multipart/mixed: [multipart/alternative: text/plain UTF-8, text/html UTF-8], application/pdf
     * attachment named {@code mail.attachmentName()}. The Message-ID stays {@code messageId}, even
     * through {@code saveChanges()}, so a resent mail can be recognised as the same one.
     *
     * @param from e.g. {@code leads@geolead.de} or {@code Geolead <leads@geolead.de>}
     * @param to   the agent's address
     */
    public static MimeMessage build(Session session, String from, String to, LeadMail mail, byte[] pdf,
            String messageId) throws MessagingException {
        Objects.requireNonNull(mail, "mail");
        Objects.requireNonNull(pdf, "pdf");
        Objects.requireNonNull(messageId, "messageId");

        MimeBodyPart text = new MimeBodyPart();
        text.setText(mail.text(), UTF_8, "plain");
        MimeBodyPart html = new MimeBodyPart();
        html.setText(mail.html(), UTF_8, "html");
        MimeMultipart alternative = new MimeMultipart("alternative", text, html);
        MimeBodyPart body = new MimeBodyPart();
        body.setContent(alternative);

        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(pdf, "application/pdf")));
        attachment.setFileName(mail.attachmentName());
        attachment.setDisposition(Part.ATTACHMENT);

        MimeMessage message = new FixedIdMimeMessage(session, messageId);
        message.setFrom(address(from));
        message.setRecipient(MimeMessage.RecipientType.TO, address(to));
        message.setSubject(mail.subject(), UTF_8);
        message.setSentDate(new Date());
        message.setContent(new MimeMultipart("mixed", body, attachment));
        message.saveChanges();
        return message;
    }

    /**
     * Adds a JSON attachment ({@code application/json; charset=UTF-8}, e.g. the mail's signed receipt) after the PDF of a
     * message {@link #build} made; its Message-ID stays.
     */
    public static void attachJson(MimeMessage message, String fileName, byte[] json) throws MessagingException {
        MimeMultipart mixed;
        try {
            mixed = (MimeMultipart) message.getContent();
        } catch (java.io.IOException | ClassCastException e) {
            throw new MessagingException("not a message built by LeadMailMessage.build", (Exception) e);
        }
        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(json, "application/json; charset=UTF-8")));
        attachment.setFileName(fileName);
        attachment.setDisposition(Part.ATTACHMENT);
        mixed.addBodyPart(attachment);
        message.saveChanges();
    }

    /**
     * {@code <geolead-lead-{leadId}-dist-{distributionId}@{domain}>}, where domain is the part after
     * the @ in {@code from}, or {@code geolead.local} when {@code from} has none.
     */
    public static String messageIdFor(long leadId, long distributionId, String from) {
        return "<geolead-lead-" + leadId + "-dist-" + distributionId + "@" + domainOf(from) + ">";
    }

    private static String domainOf(String from) {
        if (from == null) {
            return FALLBACK_DOMAIN;
        }
        String address = from.strip();
        try {
            address = new InternetAddress(address).getAddress(); // drops a display name: "Geolead <a@b.de>"
        } catch (AddressException e) {
            // not a parseable address: look for the @ in the raw text
        }
        int at = address.lastIndexOf('@');
        String domain = at < 0 ? "" : address.substring(at + 1).strip();
        return domain.matches("[A-Za-z0-9.-]+") ? domain : FALLBACK_DOMAIN;
    }

    /** Parses an address; a display name with umlauts is encoded as UTF-8. */
    private static InternetAddress address(String value) throws MessagingException {
        InternetAddress address = new InternetAddress(Objects.requireNonNull(value, "address"), true);
        if (address.getPersonal() != null) {
            try {
                address.setPersonal(address.getPersonal(), UTF_8);
            } catch (UnsupportedEncodingException e) {
                throw new MessagingException("UTF-8 not supported", e);
            }
        }
        return address;
    }

    /** A MimeMessage whose Message-ID header is the one given, not a fresh one on every save. */
    private static final class FixedIdMimeMessage extends MimeMessage {
        private final String messageId;

        FixedIdMimeMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}
