package de.geolead.sandbox;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal SMTP server (RFC 5321 subset) for the local sandbox that delivers nothing and keeps every mail
 * as an {@code .eml} file. It binds 127.0.0.1 only.
 *
 * <p>Commands: EHLO/HELO, MAIL FROM (with optional {@code SIZE=} and {@code BODY=} parameters), RCPT TO,
 * DATA (dot-unstuffing, ends at {@code <CRLF>.<CRLF>}), RSET, NOOP, QUIT; anything else answers 502.
 * EHLO advertises {@code 8BITMIME}, {@code ENHANCEDSTATUSCODES} and {@code SIZE 26214400}, no AUTH and no STARTTLS.
 *
 * <p>Each message is stored as {@code <outbox>/<yyyyMMdd-HHmmss-SSS>-<n>.eml} (local time, {@code n} counting
 * from 1 per server) with the message bytes as received, lines ending in CRLF and without envelope or
 * {@code Received:} header. The file is written under a temporary name and then moved atomically, so a
 * watcher never sees a partial {@code .eml}.
 *
 * <p>One pooled thread per connection, at most {@value #MAX_CONNECTIONS} at a time (more are answered
 * {@code 421}); a connection idle for {@value #IDLE_TIMEOUT_MILLIS} ms is closed with {@code 421}.
 *
 * <p>Fault injection for tests: {@link #answerRecipient} answers RCPT TO for one address with a given reply
 * (e.g. {@code 550 5.1.1 mailbox unavailable}), {@link #stallBeforeDataReply} holds the reply to the end of DATA.
 *
 * <pre>
 * try (SandboxSmtpServer smtp = SandboxSmtpServer.start(0, Path.of("target/outbox"))) {
 *     // mail.smtp.host=127.0.0.1, mail.smtp.port=smtp.port()
 * }
 * </pre>
 */
public final class SandboxSmtpServer implements AutoCloseable {

    /** Largest message accepted, in bytes (as advertised by EHLO). */
    public static final long MAX_MESSAGE_SIZE = 26_214_400;
    /** Connections served at the same time. */
    public static final int MAX_CONNECTIONS = 16;
    /** Socket read timeout per connection. */
    public static final int IDLE_TIMEOUT_MILLIS = 60_000;

    private static final Logger LOG = LoggerFactory.getLogger(SandboxSmtpServer.class);
    private static final String HOST = "127.0.0.1";
    /** RFC 5321 4.5.3.1.4/6: 512 octets for a command line, 1000 for a text line, both with CRLF. */
    private static final int MAX_COMMAND_LINE = 512;
    /** Text lines longer than RFC 5321's 1000 octets are still taken in DATA (some clients send them), up to this. */
    private static final int MAX_DATA_LINE = 1 << 20;
    private static final int MAX_RECIPIENTS = 1000;
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT);

    private final Path outbox;
    private final ServerSocket serverSocket;
    private final ThreadPoolExecutor workers;
    private final Thread acceptor;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Object storeLock = new Object();
    private final List<Path> messages = new ArrayList<>(); // guarded by storeLock
    private final java.util.Map<String, String> recipientReplies = new ConcurrentHashMap<>();
    private final AtomicInteger injectedReplies = new AtomicInteger();
    private volatile long dataReplyStallMillis;
    private volatile boolean closed;

    private SandboxSmtpServer(int port, Path outbox) throws IOException {
        this.outbox = outbox;
        Files.createDirectories(outbox);
        this.serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 50);
        AtomicInteger threadNumber = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(MAX_CONNECTIONS, MAX_CONNECTIONS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "sandbox-smtp-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        workers.allowCoreThreadTimeOut(true);
        this.acceptor = new Thread(this::acceptLoop, "sandbox-smtp-accept-" + serverSocket.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts a server on 127.0.0.1; port 0 picks a free port. Creates {@code outbox} (and its parents) if missing.
     *
     * @throws UncheckedIOException if the port cannot be bound or the directory not created
     */
    public static SandboxSmtpServer start(int port, Path outbox) {
        if (outbox == null) {
            throw new IllegalArgumentException("outbox must not be null");
        }
        try {
            SandboxSmtpServer server = new SandboxSmtpServer(port, outbox);
            LOG.info("Sandbox SMTP server listening on {}:{}, mails go to {}", HOST, server.port(), outbox.toAbsolutePath());
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the sandbox SMTP server on port " + port, e);
        }
    }

    /** The bound port. */
    public int port() {
        return serverSocket.getLocalPort();
    }

    /** The {@code .eml} files this server has written so far, in arrival order. */
    public List<Path> messages() {
        synchronized (storeLock) {
            return List.copyOf(messages);
        }
    }

    /** From now on RCPT TO for {@code address} (case-insensitive) is answered with {@code reply}, e.g. {@code 550 5.1.1 unknown}. */
    public void answerRecipient(String address, String reply) {
        recipientReplies.put(address.toLowerCase(Locale.ROOT), reply);
    }

    /** How many RCPT TO commands were answered with a reply set by {@link #answerRecipient}. */
    public int injectedReplies() {
        return injectedReplies.get();
    }

    /** From now on the reply to the end of DATA comes this much later (the message is stored before). */
    public void stallBeforeDataReply(java.time.Duration stall) {
        dataReplyStallMillis = stall.toMillis();
    }

    /** Number of messages stored so far. */
    public int count() {
        synchronized (storeLock) {
            return messages.size();
        }
    }

    /** Stops accepting, closes open connections (a transfer in progress is lost) and stops the worker threads. */
    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException e) {
            LOG.debug("closing the SMTP server socket failed", e);
        }
        for (Socket socket : connections) {
            closeQuietly(socket);
        }
        workers.shutdownNow();
        try {
            acceptor.join(1000);
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------- connections

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Sandbox SMTP server stopped accepting connections", e);
                }
                return;
            }
            try {
                workers.execute(() -> serve(socket));
            } catch (RejectedExecutionException e) {
                refuse(socket);
            }
        }
    }

    private static void refuse(Socket socket) {
        try (socket) {
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("421 4.3.2 Too many connections, try again later\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException ignored) {
            // the client is gone anyway
        }
    }

    private void serve(Socket socket) {
        connections.add(socket);
        try (socket) {
            if (closed) {
                return;
            }
            socket.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            new Session(socket.getInputStream(), socket.getOutputStream()).run();
        } catch (SocketTimeoutException e) {
            LOG.debug("SMTP client {} idle too long", socket.getRemoteSocketAddress());
        } catch (EOFException | SocketException e) {
            if (!closed) {
                LOG.debug("SMTP connection from {} dropped: {}", socket.getRemoteSocketAddress(), e.toString());
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.warn("SMTP connection from {} failed", socket.getRemoteSocketAddress(), e);
            }
        } finally {
            connections.remove(socket);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    // ----------------------------------------------------------------------------------------- storing

    /** Moves a completely written temp file to its final name and records it; returns the final path. */
    private Path store(Path temp) throws IOException {
        synchronized (storeLock) {
            int n = messages.size() + 1;
            Path target = outbox.resolve(FILE_TIME.format(LocalDateTime.now()) + "-" + n + ".eml");
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            messages.add(target);
            return target;
        }
    }

    /**
     * Splits {@code FROM:<a@b> PARAMS} into the address (without angle brackets, may be empty for the null
     * path) and the parameters; null if malformed.
     */
    private static String[] path(String argument, String keyword) {
        if (!argument.regionMatches(true, 0, keyword, 0, keyword.length())) {
            return null;
        }
        String rest = argument.substring(keyword.length()).trim();
        if (rest.startsWith("<")) {
            int close = rest.indexOf('>');
            if (close < 0) {
                return null;
            }
            return new String[] {rest.substring(1, close).trim(), rest.substring(close + 1).trim()};
        }
        // lenient: a bare address as some old clients send
        int space = rest.indexOf(' ');
        String address = space < 0 ? rest : rest.substring(0, space);
        return address.isEmpty() ? null : new String[] {address, space < 0 ? "" : rest.substring(space + 1).trim()};
    }

    /** The outcome of reading one message in DATA. */
    private record Received(long size, boolean lineTooLong) {
    }

    /** One SMTP conversation. Not shared between threads. */
    private final class Session {

        private final LineReader in;
        private final OutputStream out;
        private boolean greeted;
        private String mailFrom; // null = no transaction
        private final List<String> recipients = new ArrayList<>();

        Session(InputStream in, OutputStream out) {
            this.in = new LineReader(in);
            this.out = new BufferedOutputStream(out, 8192);
        }

        void run() throws IOException {
            try {
                reply("220 " + HOST + " ESMTP Geolead sandbox SMTP, mails are kept, not delivered");
                while (true) {
                    byte[] raw = in.readLine(MAX_COMMAND_LINE);
                    if (raw == null) {
                        return; // client closed without QUIT
                    }
                    if (in.lastLineTooLong()) {
                        reply("500 5.5.2 Line too long");
                        continue;
                    }
                    if (!command(new String(raw, StandardCharsets.ISO_8859_1))) {
                        return;
                    }
                }
            } catch (SocketTimeoutException e) {
                replyQuietly("421 4.4.2 " + HOST + " Timeout, closing connection");
                throw e;
            }
        }

        /** Handles one command line; false when the connection is to be closed. */
        private boolean command(String line) throws IOException {
            int space = line.indexOf(' ');
            String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
            String argument = space < 0 ? "" : line.substring(space + 1).trim();
            switch (verb) {
                case "EHLO" -> ehlo(argument, true);
                case "HELO" -> ehlo(argument, false);
                case "MAIL" -> mail(argument);
                case "RCPT" -> rcpt(argument);
                case "DATA" -> data(argument);
                case "RSET" -> {
                    resetTransaction();
                    reply("250 2.0.0 Ok");
                }
                case "NOOP" -> reply("250 2.0.0 Ok");
                case "QUIT" -> {
                    reply("221 2.0.0 " + HOST + " Bye");
                    return false;
                }
                case "" -> reply("500 5.5.2 Syntax error, command unrecognized");
                default -> reply("502 5.5.1 Command not implemented");
            }
            return true;
        }

        private void ehlo(String domain, boolean extended) throws IOException {
            if (domain.isEmpty()) {
                reply("501 5.5.4 Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
                return;
            }
            greeted = true;
            resetTransaction();
            if (extended) {
                reply("250-" + HOST + " Hello " + domain + "\r\n"
                        + "250-8BITMIME\r\n"
                        + "250-ENHANCEDSTATUSCODES\r\n"
                        + "250 SIZE " + MAX_MESSAGE_SIZE);
            } else {
                reply("250 " + HOST + " Hello " + domain);
            }
        }

        private void mail(String argument) throws IOException {
            if (!greeted) {
                reply("503 5.5.1 Send HELO/EHLO first");
                return;
            }
            if (mailFrom != null) {
                reply("503 5.5.1 Nested MAIL command");
                return;
            }
            String[] path = path(argument, "FROM:");
            if (path == null) {
                reply("501 5.5.4 Syntax: MAIL FROM:<address>");
                return;
            }
            for (String parameter : path[1].split(" +")) {
                if (parameter.regionMatches(true, 0, "SIZE=", 0, 5)) {
                    long declared;
                    try {
                        declared = Long.parseLong(parameter.substring(5));
                    } catch (NumberFormatException e) {
                        reply("501 5.5.4 Bad SIZE parameter");
                        return;
                    }
                    if (declared > MAX_MESSAGE_SIZE) {
                        reply("552 5.3.4 Message size exceeds fixed maximum message size");
                        return;
                    }
                }
            }
            mailFrom = path[0];
            reply("250 2.1.0 Ok");
        }

        private void rcpt(String argument) throws IOException {
            if (mailFrom == null) {
                reply("503 5.5.1 Need MAIL before RCPT");
                return;
            }
            String[] path = path(argument, "TO:");
            if (path == null || path[0].isEmpty()) {
                reply("501 5.5.4 Syntax: RCPT TO:<address>");
                return;
            }
            if (recipients.size() >= MAX_RECIPIENTS) {
                reply("452 4.5.3 Too many recipients");
                return;
            }
            String injected = recipientReplies.get(path[0].toLowerCase(Locale.ROOT));
            if (injected != null) {
                injectedReplies.incrementAndGet();
                reply(injected);
                return;
            }
            recipients.add(path[0]);
            reply("250 2.1.5 Ok");
        }

        private void data(String argument) throws IOException {
            if (!argument.isEmpty()) {
                reply("501 5.5.4 Syntax: DATA");
                return;
            }
            if (mailFrom == null) {
                reply("503 5.5.1 Need MAIL command");
                return;
            }
            if (recipients.isEmpty()) {
                reply("554 5.5.1 No valid recipients");
                return;
            }
            reply("354 End data with <CR><LF>.<CR><LF>");
            Path temp = Files.createTempFile(outbox, ".incoming-", ".tmp");
            try {
                Received received = receive(temp);
                if (received.lineTooLong()) {
                    reply("500 5.5.2 Line too long (more than " + MAX_DATA_LINE + " octets), message not kept");
                } else if (received.size() > MAX_MESSAGE_SIZE) {
                    reply("552 5.3.4 Message size exceeds fixed maximum message size");
                } else {
                    Path stored = store(temp);
                    LOG.debug("Sandbox SMTP stored mail from <{}> to {} as {}", mailFrom, recipients, stored.getFileName());
                    stall(dataReplyStallMillis);
                    reply("250 2.0.0 Ok: queued as " + stored.getFileName());
                }
            } finally {
                Files.deleteIfExists(temp); // already moved when stored; otherwise partial or refused data
                resetTransaction();
            }
        }

        /**
         * Copies the message text to {@code file} up to the lone dot, removing one leading dot from each line
         * and ending every line in CRLF. Once the message is too large or has an overlong line, the rest is read
         * but not written.
         *
         * @throws IOException also when the client closes the connection before the end of the data
         */
        private Received receive(Path file) throws IOException {
            long size = 0;
            boolean lineTooLong = false;
            try (OutputStream message = new BufferedOutputStream(Files.newOutputStream(file), 65536)) {
                while (true) {
                    byte[] line = in.readLine(MAX_DATA_LINE);
                    if (line == null) {
                        throw new EOFException("connection closed during DATA, message discarded");
                    }
                    if (in.lastLineTooLong()) {
                        lineTooLong = true;
                        continue;
                    }
                    if (line.length == 1 && line[0] == '.') {
                        return new Received(size, lineTooLong);
                    }
                    int offset = line.length > 0 && line[0] == '.' ? 1 : 0;
                    size += line.length - offset + 2L;
                    if (size <= MAX_MESSAGE_SIZE && !lineTooLong) {
                        message.write(line, offset, line.length - offset);
                        message.write('\r');
                        message.write('\n');
                    }
                }
            }
        }

        private void stall(long millis) {
            if (millis > 0) {
                try {
                    Thread.sleep(millis); // fault injection: a slow server
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void resetTransaction() {
            mailFrom = null;
            recipients.clear();
        }

        private void reply(String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        private void replyQuietly(String text) {
            try {
                reply(text);
            } catch (IOException ignored) {
                // the connection is being closed anyway
            }
        }
    }

    /** Reads LF-terminated lines of bytes straight from the socket; a CR before the LF is dropped. */
    private static final class LineReader {

        private final InputStream in;
        private final byte[] buffer = new byte[8192];
        private int position;
        private int limit;
        private byte[] line = new byte[256];
        private boolean tooLong;

        LineReader(InputStream in) {
            this.in = in;
        }

        /**
         * The next line without its line ending, or null at end of stream (an unterminated last fragment is
         * dropped). A line longer than {@code maxLength} octets including CRLF is read to its end but comes back
         * cut short, and {@link #lastLineTooLong()} is then true.
         */
        byte[] readLine(int maxLength) throws IOException {
            int length = 0;
            tooLong = false;
            while (true) {
                if (position == limit) {
                    limit = in.read(buffer, 0, buffer.length);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return null;
                    }
                }
                byte b = buffer[position++];
                if (b == '\n') {
                    if (length > 0 && line[length - 1] == '\r') {
                        length--;
                    }
                    if (length + 2 > maxLength) {
                        tooLong = true;
                    }
                    return Arrays.copyOf(line, Math.min(length, maxLength));
                }
                if (length < maxLength) {
                    if (length == line.length) {
                        line = Arrays.copyOf(line, Math.min(maxLength, line.length * 2));
                    }
                    line[length++] = b;
                } else {
                    tooLong = true;
                }
            }
        }

        boolean lastLineTooLong() {
            return tooLong;
        }
    }
}
