package de.geolead.sandbox;

import jakarta.activation.DataHandler;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class SandboxSmtpServerTest {

    private static final String SUBJECT = "Neuer Eigentümer-Lead in 80331 München – Grüße";

    @TempDir
    Path temp;

    private Path outbox;
    private SandboxSmtpServer smtp;

    @BeforeEach
    void start() {
        outbox = temp.resolve("mail").resolve("outbox"); // not there yet: start creates it
        smtp = SandboxSmtpServer.start(0, outbox);
    }

    @AfterEach
    void stop() {
        smtp.close();
    }

    @Test
    void aChosenRecipientIsAnsweredWithTheInjectedReplyAndTheDataReplyCanStall() throws Exception {
        smtp.answerRecipient("Gone@Example.org", "550 5.1.1 mailbox unavailable");

        assertThatThrownBy(() -> Transport.send(message(session(), "gone@example.org", "Hallo\n", pdfBytes())))
                .isInstanceOf(jakarta.mail.SendFailedException.class);
        assertThat(smtp.injectedReplies()).isEqualTo(1);
        assertThat(smtp.count()).isZero();

        smtp.stallBeforeDataReply(Duration.ofMillis(600));
        long start = System.nanoTime();
        Transport.send(message(session(), "makler@example.org", "Hallo\n", pdfBytes()));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
        assertThat(smtp.count()).isEqualTo(1);
    }

    @Test
    void jakartaMailMessageWithPdfAttachmentIsKeptAsEml() throws Exception {
        byte[] pdf = pdfBytes();
        String text = "Guten Tag,\n.ein Punkt am Zeilenanfang\n.\n..\nEnde\n";

        Transport.send(message(session(), "makler@example.org", text, pdf));

        assertThat(smtp.count()).isEqualTo(1);
        List<Path> files = smtp.messages();
        assertThat(files).hasSize(1);
        assertThat(files.get(0).getParent()).isEqualTo(outbox);
        assertThat(files.get(0).getFileName().toString()).matches("\\d{8}-\\d{6}-\\d{3}-1\\.eml");

        byte[] raw = Files.readAllBytes(files.get(0));
        assertThat(new String(raw, StandardCharsets.ISO_8859_1).replace("\r\n", "")).doesNotContain("\n", "\r");

        MimeMessage parsed;
        try (InputStream in = Files.newInputStream(files.get(0))) {
            parsed = new MimeMessage(session(), in);
        }
        assertThat(parsed.getSubject()).isEqualTo(SUBJECT);
        assertThat(((InternetAddress) parsed.getFrom()[0]).getPersonal()).isEqualTo("Geolead Süd");
        assertThat(parsed.getAllRecipients()).extracting(Object::toString).containsExactly("makler@example.org");
        assertThat(parsed.isMimeType("multipart/mixed")).isTrue();
        Multipart mixed = (Multipart) parsed.getContent();
        assertThat(mixed.getCount()).isEqualTo(2);
        assertThat(((String) mixed.getBodyPart(0).getContent()).replace("\r\n", "\n")).isEqualTo(text);
        BodyPart attachment = mixed.getBodyPart(1);
        assertThat(attachment.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(attachment.getFileName()).isEqualTo("Lead-80331-42.pdf");
        assertThat(attachment.isMimeType("application/pdf")).isTrue();
        try (InputStream in = attachment.getInputStream()) {
            assertThat(in.readAllBytes()).isEqualTo(pdf);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void concurrentClientsAllArriveWithDistinctNumberedFiles() throws Exception {
        int clients = 12;
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String to = "agent" + i + "@example.org";
                sends.add(pool.submit(() -> {
                    Transport.send(message(session(), to, "Lead für " + to, pdfBytes()));
                    return null;
                }));
            }
            for (Future<?> send : sends) {
                send.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(smtp.count()).isEqualTo(clients);
        List<Path> files = smtp.messages();
        assertThat(files).doesNotHaveDuplicates().allMatch(Files::isRegularFile);
        for (int i = 0; i < clients; i++) {
            assertThat(files.get(i).getFileName().toString()).endsWith("-" + (i + 1) + ".eml");
        }
        List<String> recipients = new ArrayList<>();
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                recipients.add(new MimeMessage(session(), in).getAllRecipients()[0].toString());
            }
        }
        assertThat(recipients).hasSize(clients).doesNotHaveDuplicates();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void speaksTheSmtpSubsetWithRealReplyCodes() throws Exception {
        try (Conversation c = new Conversation(smtp.port())) {
            assertThat(c.reply()).startsWith("220 ");
            assertThat(c.send("MAIL FROM:<a@example.org>")).startsWith("503 ");
            List<String> ehlo = c.sendMulti("EHLO client.example.org");
            assertThat(ehlo.get(0)).startsWith("250-");
            assertThat(ehlo).anyMatch(l -> l.substring(4).equals("8BITMIME"))
                    .anyMatch(l -> l.substring(4).equals("SIZE 26214400"))
                    .noneMatch(l -> l.contains("AUTH") || l.contains("STARTTLS"));
            assertThat(ehlo.get(ehlo.size() - 1)).startsWith("250 ");

            assertThat(c.send("AUTH PLAIN AGZvbwBiYXI=")).startsWith("502 ");
            assertThat(c.send("STARTTLS")).startsWith("502 ");
            assertThat(c.send("DATA")).startsWith("503 ");
            assertThat(c.send("RCPT TO:<x@example.org>")).startsWith("503 ");
            assertThat(c.send("MAIL FROM:<a@example.org> SIZE=999999999")).startsWith("552 ");
            assertThat(c.send("noop")).startsWith("250 ");

            assertThat(c.send("MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=120")).startsWith("250 ");
            assertThat(c.send("MAIL FROM:<b@example.org>")).startsWith("503 ");
            assertThat(c.send("DATA")).startsWith("554 ");
            assertThat(c.send("RCPT TO:<x@example.org>")).startsWith("250 ");
            assertThat(c.send("RSET")).startsWith("250 ");
            assertThat(c.send("RCPT TO:<x@example.org>")).startsWith("503 ");

            assertThat(c.send("MAIL FROM:<>")).startsWith("250 ");
            assertThat(c.send("RCPT TO:<x@example.org>")).startsWith("250 ");
            assertThat(c.send("RCPT TO:<y@example.org>")).startsWith("250 ");
            assertThat(c.send("DATA")).startsWith("354 ");
            c.write("Subject: dots\r\n\r\n..leading dot\r\n...two\r\n..\r\nno\r\n. not the end\r\n");
            assertThat(c.send(".")).startsWith("250 ");
            assertThat(c.send("QUIT")).startsWith("221 ");
        }

        assertThat(smtp.count()).isEqualTo(1);
        assertThat(Files.readString(smtp.messages().get(0), StandardCharsets.ISO_8859_1))
                .isEqualTo("Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nno\r\n not the end\r\n");
    }

    @Test
    void dataSurvivesBareLineFeedsAndAClientThatVanishesMidMessage() throws Exception {
        try (Conversation c = new Conversation(smtp.port())) {
            c.reply();
            c.sendMulti("EHLO x");
            c.send("MAIL FROM:<a@example.org>");
            c.send("RCPT TO:<b@example.org>");
            assertThat(c.send("DATA")).startsWith("354 ");
            c.write("Subject: half\r\n\r\nand then the client is gone");
        }
        try (Conversation c = new Conversation(smtp.port())) {
            c.reply();
            c.send("HELO x");
            c.send("MAIL FROM:a@example.org");
            c.send("RCPT TO:<b@example.org>");
            assertThat(c.send("DATA")).startsWith("354 ");
            c.write("Subject: lf\n\nline\n");
            assertThat(c.send(".")).startsWith("250 ");
        }
        assertThat(smtp.count()).isEqualTo(1);
        assertThat(Files.readString(smtp.messages().get(0))).isEqualTo("Subject: lf\r\n\r\nline\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> leftovers().isEmpty()); // the half message is dropped
    }

    @Test
    void connectionsBeyondTheLimitAreTurnedAwayWith421() throws Exception {
        List<Conversation> open = new ArrayList<>();
        try {
            for (int i = 0; i < SandboxSmtpServer.MAX_CONNECTIONS; i++) {
                Conversation c = new Conversation(smtp.port());
                open.add(c);
                assertThat(c.reply()).startsWith("220 ");
            }
            try (Conversation extra = new Conversation(smtp.port())) {
                assertThat(extra.reply()).startsWith("421 ");
            }
        } finally {
            for (Conversation c : open) {
                c.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (Conversation again = new Conversation(smtp.port())) {
                assertThat(again.reply()).startsWith("220 ");
            }
        });
    }

    @Test
    void closeStopsListening() throws Exception {
        int port = smtp.port();
        assertThat(port).isPositive();
        smtp.close();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    // ------------------------------------------------------------------------------------- helpers

    private Session session() {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(smtp.port()));
        props.put("mail.smtp.connectiontimeout", "5000");
        props.put("mail.smtp.timeout", "5000");
        return Session.getInstance(props);
    }

    private static MimeMessage message(Session session, String to, String text, byte[] pdf) throws Exception {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("leads@geolead.de", "Geolead Süd", "UTF-8"));
        message.setRecipients(Message.RecipientType.TO, to);
        message.setSubject(SUBJECT, "UTF-8");
        MimeBodyPart body = new MimeBodyPart();
        body.setText(text, "UTF-8");
        MimeBodyPart attachment = new MimeBodyPart();
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(pdf, "application/pdf")));
        attachment.setFileName("Lead-80331-42.pdf");
        attachment.setDisposition(Part.ATTACHMENT);
        MimeMultipart mixed = new MimeMultipart("mixed");
        mixed.addBodyPart(body);
        mixed.addBodyPart(attachment);
        message.setContent(mixed);
        message.saveChanges();
        return message;
    }

    /** Not a real PDF, but with every byte value, which any text treatment would mangle. */
    private static byte[] pdfBytes() {
        byte[] header = "%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[header.length + 4096];
        System.arraycopy(header, 0, bytes, 0, header.length);
        for (int i = header.length; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        return bytes;
    }

    /** Files in the outbox that are not .eml (temporary files left behind). */
    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(outbox)) {
            return files.filter(p -> !p.getFileName().toString().endsWith(".eml")).toList();
        }
    }

    /** A raw SMTP client: one command, one reply. */
    private static final class Conversation implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Conversation(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            out = socket.getOutputStream();
        }

        String reply() throws IOException {
            return in.readLine();
        }

        String send(String command) throws IOException {
            write(command + "\r\n");
            return reply();
        }

        List<String> sendMulti(String command) throws IOException {
            write(command + "\r\n");
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = in.readLine();
                lines.add(line);
            } while (line != null && line.length() > 3 && line.charAt(3) == '-');
            return lines;
        }

        void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
