package de.geolead.delivery;

import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import org.apache.camel.CamelContext;
import org.apache.camel.component.mail.DefaultJavaMailSender;
import org.apache.camel.component.mail.JavaMailSender;
import org.apache.camel.component.mail.MailAuthenticator;
import org.apache.camel.component.mail.MailConfiguration;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the smtp component's connections open between mails ({@code GEOLEAD_SMTP_IDLE_TIMEOUT}), instead of camel-mail's
 * one connection (connect, EHLO, STARTTLS, AUTH … QUIT) per mail. The route still sends with
 * {@code to: {{geolead.smtp.endpoint}}}: {@link #configuration} is the smtp component's configuration, and every sender
 * it creates for an endpoint is camel-mail's own (host, port, credentials, STARTTLS, timeouts exactly as configured),
 * wrapped so that its connections are kept.
 *
 * <p>A sender hands each mail a connection no other thread uses at the same time: the most recently used idle one, or
 * a new one. Before a kept connection is used it is checked with {@code RSET} (one round trip; {@code mail.smtp.userset}):
 * a connection the server closed in the meantime (idle timeout, QUIT, 421) fails the check, is closed and replaced by a
 * new one before anything of the mail is sent. A connection on which a send failed in any way is closed, never used
 * again; the failure itself goes to the caller unchanged, so the route classifies it exactly as before
 * ({@link SmtpFailure}) and the claim logic alone decides about another attempt: nothing is re-sent here. A connection
 * unused for the idle timeout is closed (QUIT) by a background sweep; all are closed when the Camel context stops.
 * {@code PT0S} closes each connection after its mail (the behaviour before).
 */
public final class SmtpConnections extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpConnections.class);

    private final Duration idleTimeout;
    private final Set<ReusingSender> senders = ConcurrentHashMap.newKeySet();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private final AtomicLong replaced = new AtomicLong();
    private ScheduledExecutorService sweeper;
    /** Set at stop: connections given back then are closed. */
    private volatile boolean closing;

    public SmtpConnections(Duration idleTimeout) {
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("GEOLEAD_SMTP_IDLE_TIMEOUT must not be negative, got " + idleTimeout);
        }
        this.idleTimeout = idleTimeout;
    }

    /**
     * The smtp component's configuration: camel-mail's own, except that the senders it creates for endpoints keep their
     * connections here. Copies of it (one per endpoint) do the same.
     */
    public MailConfiguration configuration(CamelContext context) {
        return new Configuration(context, this);
    }

    /** Wraps camel-mail's configured sender so that its connections are kept. */
    public JavaMailSender keeping(JavaMailSender configured) {
        if (!(configured instanceof DefaultJavaMailSender sender)) {
            // someone configured a sender of their own: it decides about its connections
            LOG.warn("SMTP connections are not kept: the smtp component uses its own sender {}", configured.getClass().getName());
            return configured;
        }
        return new ReusingSender(sender);
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Connections opened so far. */
    public long opened() {
        return opened.get();
    }

    /** Mails sent on a connection kept from an earlier mail. */
    public long reused() {
        return reused.get();
    }

    /** Kept connections found closed by the server (failed RSET) and replaced before the mail was sent. */
    public long replaced() {
        return replaced.get();
    }

    /** Connections open and idle right now. */
    public int idle() {
        return senders.stream().mapToInt(ReusingSender::idleCount).sum();
    }

    @Override
    protected void doStart() {
        closing = false;
        if (idleTimeout.isZero()) {
            return;
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "geolead-smtp-idle");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(100, Math.min(idleTimeout.toMillis() / 2, 5_000));
        sweeper.scheduleWithFixedDelay(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        closing = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
            sweeper = null;
        }
        int closed = 0;
        for (ReusingSender sender : senders) {
            closed += sender.closeAll();
        }
        LOG.info("SMTP connections closed at shutdown: {} ({} opened, {} mails on a kept connection, {} found closed by the server)",
                closed, opened.get(), reused.get(), replaced.get());
    }

    /** Closes every connection unused for the idle timeout; run by the sweep. */
    void closeIdle() {
        long now = System.nanoTime();
        for (ReusingSender sender : senders) {
            try {
                sender.closeIdleSince(now - idleTimeout.toNanos());
            } catch (RuntimeException e) {
                LOG.warn("Closing idle SMTP connections failed: {}", e.toString());
            }
        }
    }

    private static void closeQuietly(Transport transport) {
        try {
            transport.close();
        } catch (MessagingException | RuntimeException e) {
            LOG.debug("Closing an SMTP connection failed (ignored): {}", e.toString());
        }
    }

    /**
     * Plain sockets with TCP_NODELAY, for {@code mail.smtp.socketFactory}: Jakarta Mail writes a mail in 8 KB pieces and
     * each command as a small write, and with Nagle's algorithm a small write waits for the ACK of the previous one,
     * which the server may delay by up to 40 ms (delayed ACK); on a kept connection, past TCP's quick-ACK start, that
     * wait comes with nearly every mail. STARTTLS wraps these sockets, so TLS gets the same.
     */
    public static final class NoDelaySocketFactory extends javax.net.SocketFactory {

        @Override
        public java.net.Socket createSocket() throws java.io.IOException {
            java.net.Socket socket = new java.net.Socket();
            socket.setTcpNoDelay(true);
            return socket;
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
            return connected(new java.net.InetSocketAddress(host, port));
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) throws java.io.IOException {
            return connected(new java.net.InetSocketAddress(host, port), new java.net.InetSocketAddress(localHost, localPort));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
            return connected(new java.net.InetSocketAddress(host, port));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort)
                throws java.io.IOException {
            return connected(new java.net.InetSocketAddress(address, port), new java.net.InetSocketAddress(localAddress, localPort));
        }

        private java.net.Socket connected(java.net.SocketAddress address) throws java.io.IOException {
            return connected(address, null);
        }

        /** A TCP_NODELAY socket bound to {@code local} (null = any) and connected to {@code address}. */
        private java.net.Socket connected(java.net.SocketAddress address, java.net.SocketAddress local) throws java.io.IOException {
            java.net.Socket socket = createSocket();
            if (local != null) {
                socket.bind(local);
            }
            socket.connect(address);
            return socket;
        }
    }

    /** An open connection and when it was last given back. */
    private record Kept(Transport transport, long idleSinceNanos) {
    }

    /** The sender camel-mail's producer uses: camel-mail's own, but with its connections kept. */
    private final class ReusingSender implements JavaMailSender {

        private final DefaultJavaMailSender configured;
        /** Idle connections, most recently used first; guarded by itself. */
        private final Deque<Kept> idle = new ArrayDeque<>();

        ReusingSender(DefaultJavaMailSender configured) {
            this.configured = configured;
        }

        @Override
        public void send(MimeMessage message) throws MessagingException {
            // as camel-mail's DefaultJavaMailSender prepares a message
            if (message.getSentDate() == null) {
                message.setSentDate(new Date());
            }
            String messageId = message.getMessageID();
            message.saveChanges();
            if (messageId != null) {
                message.setHeader("Message-ID", messageId); // saveChanges would make a new one
            }
            Transport transport = take();
            try {
                transport.sendMessage(message, message.getAllRecipients());
            } catch (MessagingException | RuntimeException e) {
                // whatever state the conversation is in now, it is not reused: the next mail gets a new connection
                closeQuietly(transport);
                throw e;
            }
            giveBack(transport);
        }

        /**
         * The most recently used kept connection if it still answers RSET, else a new one. At most one kept connection
         * is checked per mail (a dead server costs one read timeout, not one per kept connection); the others are
         * checked by the next mails or closed by the sweep.
         */
        private Transport take() throws MessagingException {
            Kept kept;
            synchronized (idle) {
                kept = idle.pollFirst();
            }
            if (kept != null) {
                // Angus' isConnected() sends RSET (mail.smtp.userset) and closes the connection unless the answer is 250
                if (kept.transport().isConnected()) {
                    reused.incrementAndGet();
                    return kept.transport();
                }
                replaced.incrementAndGet();
                closeQuietly(kept.transport());
                LOG.debug("A kept SMTP connection was closed by the server after {} ms idle", (System.nanoTime() - kept.idleSinceNanos()) / 1_000_000);
            }
            return connect();
        }

        private Transport connect() throws MessagingException {
            Transport transport = configured.getSession().getTransport(configured.getProtocol());
            PasswordAuthentication login = configured.getPasswordAuthentication();
            transport.connect(configured.getHost(), configured.getPort(), login.getUserName(), login.getPassword());
            opened.incrementAndGet();
            return transport;
        }

        private void giveBack(Transport transport) {
            synchronized (idle) {
                if (!idleTimeout.isZero() && !closing) {
                    idle.addFirst(new Kept(transport, System.nanoTime()));
                    senders.add(this);
                    return;
                }
            }
            closeQuietly(transport);
        }

        int idleCount() {
            synchronized (idle) {
                return idle.size();
            }
        }

        void closeIdleSince(long nanos) {
            List<Kept> expired = new ArrayList<>();
            synchronized (idle) {
                for (Iterator<Kept> it = idle.iterator(); it.hasNext(); ) {
                    Kept kept = it.next();
                    if (kept.idleSinceNanos() - nanos <= 0) {
                        it.remove();
                        expired.add(kept);
                    }
                }
                if (idle.isEmpty()) {
                    senders.remove(this); // given back again, it is added again
                }
            }
            expired.forEach(kept -> closeQuietly(kept.transport()));
        }

        int closeAll() {
            List<Kept> all;
            synchronized (idle) {
                all = new ArrayList<>(idle);
                idle.clear();
            }
            all.forEach(kept -> closeQuietly(kept.transport()));
            return all.size();
        }

        // ---- the configuration camel-mail sets: kept on its own sender ----

        @Override public Properties getJavaMailProperties() { return configured.getJavaMailProperties(); }
        @Override public void setJavaMailProperties(Properties properties) { configured.setJavaMailProperties(properties); }
        @Override public void addAdditionalJavaMailProperty(String key, String value) { configured.addAdditionalJavaMailProperty(key, value); }
        @Override public void setHost(String host) { configured.setHost(host); }
        @Override public String getHost() { return configured.getHost(); }
        @Override public void setPort(int port) { configured.setPort(port); }
        @Override public int getPort() { return configured.getPort(); }
        @Override public void setUsername(String username) { configured.setUsername(username); }
        @Override public String getUsername() { return configured.getUsername(); }
        @Override public void setPassword(String password) { configured.setPassword(password); }
        @Override public String getPassword() { return configured.getPassword(); }
        @Override public void setProtocol(String protocol) { configured.setProtocol(protocol); }
        @Override public String getProtocol() { return configured.getProtocol(); }
        @Override public void setSession(jakarta.mail.Session session) { configured.setSession(session); }
        @Override public jakarta.mail.Session getSession() { return configured.getSession(); }
        @Override public void setAuthenticator(MailAuthenticator authenticator) { configured.setAuthenticator(authenticator); }
        @Override public MailAuthenticator getAuthenticator() { return configured.getAuthenticator(); }
    }

    /**
     * camel-mail's configuration whose senders keep their connections. camel-mail copies the component's configuration
     * for each endpoint with {@code clone()}, so the copies are of this class too and share the connections' owner.
     */
    private static final class Configuration extends MailConfiguration {

        private final SmtpConnections connections;

        Configuration(CamelContext context, SmtpConnections connections) {
            super(context);
            this.connections = connections;
        }

        @Override
        protected JavaMailSender createJavaMailSender(CamelContext context) {
            return connections.keeping(super.createJavaMailSender(context));
        }
    }
}
