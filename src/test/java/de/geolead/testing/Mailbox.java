package de.geolead.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** A real SMTP server (GreenMail) on a fixed loopback port that tests can stop and start again. */
public final class Mailbox implements AutoCloseable {

    private final int port;
    private GreenMail greenMail;

    public Mailbox() {
        port = RunningApp.freePort();
        start();
    }

    public int port() {
        return port;
    }

    public void start() {
        greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        greenMail.start();
    }

    public void stop() {
        greenMail.stop();
    }

    public List<MimeMessage> messages() {
        return List.of(greenMail.getReceivedMessages());
    }

    public List<MimeMessage> messagesTo(String address) {
        List<MimeMessage> result = new ArrayList<>();
        for (MimeMessage message : messages()) {
            try {
                if (message.getAllRecipients()[0].toString().equals(address)) {
                    result.add(message);
                }
            } catch (jakarta.mail.MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return result;
    }

    public void clear() {
        try {
            greenMail.purgeEmailFromAllMailboxes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plain-text part of a message (a lead mail's text/plain alternative); fails the test when there is none. */
    public static String text(MimeMessage message) {
        try {
            String found = findText(message.getContent());
            if (found == null) {
                throw new AssertionError("message has no text part");
            }
            return found;
        } catch (IOException | jakarta.mail.MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String findText(Object content) throws IOException, jakarta.mail.MessagingException {
        if (content instanceof String text) {
            return text;
        }
        if (content instanceof Multipart multipart) {
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart part = multipart.getBodyPart(i);
                if (part.isMimeType("text/plain")) {
                    return (String) part.getContent();
                }
                String nested = part.isMimeType("multipart/*") ? findText(part.getContent()) : null;
                if (nested != null) {
                    return nested;
                }
            }
        }
        return null;
    }

    /** The first attachment of a message: its file name and bytes. */
    public record Attachment(String fileName, byte[] bytes) {}

    public static Attachment attachment(MimeMessage message) {
        TypedAttachment first = attachments(message).stream().findFirst()
                .orElseThrow(() -> new AssertionError("message has no attachment"));
        return new Attachment(first.fileName(), first.bytes());
    }

    /** Every attachment of a message, in order, with its MIME type (e.g. the PDF, then the receipt). */
    public static List<TypedAttachment> attachments(MimeMessage message) {
        try {
            List<TypedAttachment> found = new ArrayList<>();
            collect(message.getContent(), found);
            return found;
        } catch (IOException | jakarta.mail.MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An attachment with its content type. */
    public record TypedAttachment(String fileName, String contentType, byte[] bytes) {}

    private static void collect(Object content, List<TypedAttachment> found) throws IOException, jakarta.mail.MessagingException {
        if (!(content instanceof Multipart multipart)) {
            return;
        }
        for (int i = 0; i < multipart.getCount(); i++) {
            BodyPart part = multipart.getBodyPart(i);
            if (Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition())) {
                try (InputStream in = part.getInputStream()) {
                    found.add(new TypedAttachment(part.getFileName(), part.getContentType(), in.readAllBytes()));
                }
            } else {
                collect(part.getContent(), found);
            }
        }
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
