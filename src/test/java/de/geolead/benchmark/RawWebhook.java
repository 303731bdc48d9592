package de.geolead.benchmark;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Event;
import com.stripe.net.Webhook;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The webhook's raw baseline: a plain Vert.x HTTP server doing per event what Geolead's {@code stripe-webhook} route
 * does, with the same libraries and no Camel: stripe-java's signature check ({@link Webhook#constructEvent}), one
 * INSERT of the event into {@code stripe_events} (same statement, a Hikari pool of Geolead's default size) and the
 * event id sent as a persistent JMS text message to a queue on the same embedded Artemis broker (one session and
 * producer per Vert.x worker thread on one connection). Answers {@code ok} (200), {@code duplicate} (200), 400 for a
 * bad signature.
 */
final class RawWebhook implements AutoCloseable {

    private record Sender(Session session, MessageProducer producer) {}

    private final Vertx vertx;
    private final HttpServer server;
    private final HikariDataSource dataSource;
    private final Connection connection;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Sender> senders;
    private final String secret;

    private RawWebhook(int port, String secret, String jdbcUrl, String user, String password, ConnectionFactory jms, String queue) throws Exception {
        this.secret = secret;
        HikariConfig config = new HikariConfig();
        config.setPoolName("raw-webhook-db");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(10);
        this.dataSource = new HikariDataSource(config);
        this.connection = jms.createConnection();
        this.senders = ThreadLocal.withInitial(() -> {
            try {
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                sessions.add(session);
                return new Sender(session, session.createProducer(session.createQueue(queue)));
            } catch (JMSException e) {
                throw new IllegalStateException(e);
            }
        });
        this.vertx = Vertx.vertx();
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port));
        server.requestHandler(request -> request.body().onComplete(body -> {
            if (body.failed()) {
                request.response().setStatusCode(400).end();
                return;
            }
            String signature = request.getHeader("Stripe-Signature");
            String payload = body.result().toString(StandardCharsets.UTF_8);
            vertx.executeBlocking(() -> receive(payload, signature), false).onComplete(done -> {
                if (done.succeeded()) {
                    request.response().putHeader("Content-Type", "text/plain").end(done.result());
                } else {
                    request.response().setStatusCode(done.cause() instanceof SignatureVerificationException ? 400 : 500)
                            .end(String.valueOf(done.cause().getMessage()));
                }
            });
        }));
        server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static RawWebhook start(int port, String secret, String jdbcUrl, String user, String password, ConnectionFactory jms, String queue) throws Exception {
        return new RawWebhook(port, secret, jdbcUrl, user, password, jms, queue);
    }

    private String receive(String payload, String signature) throws Exception {
        Event event = Webhook.constructEvent(payload, signature, secret);
        boolean stored;
        try (java.sql.Connection db = dataSource.getConnection();
             PreparedStatement insert = db.prepareStatement("INSERT INTO stripe_events (event_id, type, api_version, payload) "
                     + "VALUES (?, ?, ?, ?::jsonb) ON CONFLICT (event_id) DO NOTHING")) {
            insert.setString(1, event.getId());
            insert.setString(2, event.getType());
            insert.setString(3, event.getApiVersion());
            insert.setString(4, payload);
            stored = insert.executeUpdate() == 1;
        }
        if (!stored) {
            return "duplicate";
        }
        Sender sender = senders.get();
        sender.producer().send(sender.session().createTextMessage(event.getId()));
        return "ok";
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        for (Session session : sessions) {
            session.close();
        }
        connection.close();
        dataSource.close();
    }
}
