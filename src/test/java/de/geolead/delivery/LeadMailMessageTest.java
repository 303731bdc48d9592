package de.geolead.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;

class LeadMailMessageTest {

    /** A real SMTP server on a free port, emptied before each test. */
    @RegisterExtension
    static final GreenMailExtension greenMail = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    private static final String FROM = "Geolead Süd <leads@geolead.de>";
    private static final String TO = "makler@example.org";
    private static final LeadMail MAIL = new LeadMail(
            "Neuer Eigentümer-Lead in 80331 München (Nr. 42)",
            "<p>Guten Tag, Müller &amp; Söhne</p>",
            "Guten Tag,\nMüller & Söhne\n",
            "Lead-80331-42.pdf");
    /** Not a real PDF, but bytes a text encoding would mangle: all 256 values. */
    private static final byte[] PDF = pdfBytes();

    @Test
    void sentMessageArrivesWithSubjectBodiesAttachmentAndMessageId() throws Exception {
        String messageId = LeadMailMessage.messageIdFor(42, 7, FROM);

        Transport.send(LeadMailMessage.build(smtpSession(), FROM, TO, MAIL, PDF, messageId));

        assertThat(greenMail.waitForIncomingEmail(5_000, 1)).isTrue();
        MimeMessage received = greenMail.getReceivedMessages()[0];
        assertThat(received.getSubject()).isEqualTo("Neuer Eigentümer-Lead in 80331 München (Nr. 42)");
        assertThat(received.getHeader("Subject")[0]).startsWith("=?UTF-8?");
        assertThat(received.getMessageID()).isEqualTo("<geolead-lead-42-dist-7@geolead.de>");
        assertThat(((InternetAddress) received.getFrom()[0]).getPersonal()).isEqualTo("Geolead Süd");
        assertThat(((InternetAddress) received.getFrom()[0]).getAddress()).isEqualTo("leads@geolead.de");
        assertThat(received.getAllRecipients()).extracting(Object::toString).containsExactly(TO);

        assertThat(received.isMimeType("multipart/mixed")).isTrue();
        Multipart mixed = (Multipart) received.getContent();
        assertThat(mixed.getCount()).isEqualTo(2);

        BodyPart bodies = mixed.getBodyPart(0);
        assertThat(bodies.isMimeType("multipart/alternative")).isTrue();
        Multipart alternative = (Multipart) bodies.getContent();
        assertThat(alternative.getCount()).isEqualTo(2);
        BodyPart text = alternative.getBodyPart(0);
        BodyPart html = alternative.getBodyPart(1);
        assertThat(text.isMimeType("text/plain")).isTrue();
        assertThat(text.getContentType()).containsIgnoringCase("charset=UTF-8");
        assertThat(normalizeLineEnds((String) text.getContent())).isEqualTo(MAIL.text());
        assertThat(html.isMimeType("text/html")).isTrue();
        assertThat(html.getContentType()).containsIgnoringCase("charset=UTF-8");
        assertThat(normalizeLineEnds((String) html.getContent())).isEqualTo(MAIL.html());

        BodyPart attachment = mixed.getBodyPart(1);
        assertThat(attachment.isMimeType("application/pdf")).isTrue();
        assertThat(attachment.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(attachment.getFileName()).isEqualTo("Lead-80331-42.pdf");
        try (InputStream in = attachment.getInputStream()) {
            assertThat(in.readAllBytes()).isEqualTo(PDF);
        }
    }

    @Test
    void aJsonAttachmentGoesAfterThePdfAndKeepsTheMessageId() throws Exception {
        String messageId = LeadMailMessage.messageIdFor(42, 7, FROM);
        MimeMessage message = LeadMailMessage.build(smtpSession(), FROM, TO, MAIL, PDF, messageId);
        byte[] json = "{\"receipt\":{\"agent\":{\"name\":\"Müller & Söhne\"}}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        LeadMailMessage.attachJson(message, "receipt-7.json", json);
        Transport.send(message);

        assertThat(greenMail.waitForIncomingEmail(5_000, 1)).isTrue();
        MimeMessage received = greenMail.getReceivedMessages()[0];
        assertThat(received.getMessageID()).isEqualTo(messageId);
        Multipart mixed = (Multipart) received.getContent();
        assertThat(mixed.getCount()).isEqualTo(3);
        assertThat(mixed.getBodyPart(1).isMimeType("application/pdf")).isTrue();
        BodyPart receipt = mixed.getBodyPart(2);
        assertThat(receipt.isMimeType("application/json")).isTrue();
        assertThat(receipt.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(receipt.getFileName()).isEqualTo("receipt-7.json");
        try (InputStream in = receipt.getInputStream()) {
            assertThat(in.readAllBytes()).isEqualTo(json);
        }
    }

    @Test
    void messageIdSurvivesSaveChanges() throws Exception {
        MimeMessage message = LeadMailMessage.build(smtpSession(), FROM, TO, MAIL, PDF, "<fixed-id@geolead.de>");

        message.saveChanges();
        message.saveChanges();

        assertThat(message.getMessageID()).isEqualTo("<fixed-id@geolead.de>");
    }

    @Test
    void messageIdUsesTheSendersDomain() {
        assertThat(LeadMailMessage.messageIdFor(42, 7, "leads@geolead.de"))
                .isEqualTo("<geolead-lead-42-dist-7@geolead.de>");
        assertThat(LeadMailMessage.messageIdFor(1, 2, "Geolead Vertrieb <vertrieb@mail.example.com>"))
                .isEqualTo("<geolead-lead-1-dist-2@mail.example.com>");
    }

    @Test
    void messageIdFallsBackToGeoleadLocal() {
        assertThat(LeadMailMessage.messageIdFor(42, 7, null)).isEqualTo("<geolead-lead-42-dist-7@geolead.local>");
        assertThat(LeadMailMessage.messageIdFor(42, 7, "leads")).isEqualTo("<geolead-lead-42-dist-7@geolead.local>");
        assertThat(LeadMailMessage.messageIdFor(42, 7, "leads@")).isEqualTo("<geolead-lead-42-dist-7@geolead.local>");
    }

    private static Session smtpSession() {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", greenMail.getSmtp().getBindTo());
        properties.put("mail.smtp.port", String.valueOf(greenMail.getSmtp().getPort()));
        return Session.getInstance(properties);
    }

    private static String normalizeLineEnds(String value) {
        return value.replace("\r\n", "\n");
    }

    private static byte[] pdfBytes() {
        byte[] header = "%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[header.length + 256];
        System.arraycopy(header, 0, bytes, 0, header.length);
        for (int i = 0; i < 256; i++) {
            bytes[header.length + i] = (byte) i;
        }
        return bytes;
    }
}
