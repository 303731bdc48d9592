package de.geolead.simulator.dialfire;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small, stateful, thread-safe HTTP simulator of the Dialfire API (campaign scope), for integration
 * tests and the local sandbox. It binds 127.0.0.1 and serves:
 * <ul>
 *   <li>{@code /api/campaigns/{cid}/…}: contacts/transactions/, contacts/flat_view (POST ids),
 *       contacts/ (POST ids), contacts/{idOrRef}/flat_view (GET), resources/{path…} (GET) — see
 *       {@link ApiHandler}. Token: {@code Authorization: Bearer <token>} or {@code ?access_token=};
 *       otherwise 403 "Forbidden". {@code resources/public/…} needs no token.</li>
 *   <li>{@code /__sim/…}: control surface without auth — see {@link ControlHandler}.</li>
 * </ul>
 * The transactions feed returns pointers {@code "<fired>|<md5>|<contactId>|<taskLogIdx>,<txIdx>"}
 * ordered by fired time; fired times never decrease across the simulator and never run ahead of the wall clock (ties keep
 * their creation order). The cursor is opaque and "" on the last page.
 *
 * <pre>
 * try (DialfireSimulator sim = DialfireSimulator.start(0, "DXX5XQHGZ3R4W6R3", "token")) {
 *     String id = sim.addContact("anrufen", Map.of("plz", "10115"));
 *     sim.succeed(id, "termin_vereinbart");
 *     // point the application at sim.baseUrl() + "/api/"
 * }
 * </pre>
 */
public final class DialfireSimulator implements AutoCloseable {

    static {
        // The JDK HTTP server leaves Nagle's algorithm on unless told otherwise; with the client's delayed
        // ACKs every response then stalls ~40 ms. Read once, when the server classes initialise.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(DialfireSimulator.class);
    private static final int THREADS = 8;

    private final String campaignId;
    private final String campaignToken;
    private final CampaignState state;
    private final FaultInjector faults = new FaultInjector();
    private final ApiHandler api;
    private final ControlHandler control;
    private final HttpServer server;
    private final ExecutorService executor;

    private DialfireSimulator(int port, String campaignId, String campaignToken) throws IOException {
        this.campaignId = campaignId;
        this.campaignToken = campaignToken;
        this.state = new CampaignState(campaignId);
        this.api = new ApiHandler(campaignId, campaignToken, state, faults);
        this.control = new ControlHandler(this);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        this.executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a simulator on 127.0.0.1; port 0 picks a free port. */
    public static DialfireSimulator start(int port, String campaignId, String campaignToken) {
        if (campaignId == null || campaignId.isBlank() || campaignToken == null || campaignToken.isBlank()) {
            throw new IllegalArgumentException("campaignId and campaignToken must not be blank");
        }
        try {
            DialfireSimulator simulator = new DialfireSimulator(port, campaignId, campaignToken);
            LOG.info("Dialfire simulator for campaign {} listening on {}", campaignId, simulator.baseUrl());
            return simulator;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Dialfire simulator on port " + port, e);
        }
    }

    /** {@code http://127.0.0.1:<port>} — without /api; clients append /api/…. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String campaignId() {
        return campaignId;
    }

    public String campaignToken() {
        return campaignToken;
    }

    /**
     * Creates a contact in status "open" (status_detail "$none") in the given task; returns its
     * generated 16-char upper-case alphanumeric $id. Plain keys are campaign fields (plz, ort, …); keys
     * starting with $ may set editable system fields such as $ref, $phone or $comment. Creating a
     * contact opens its first $task_log entry but adds no transaction to the feed.
     */
    public String addContact(String task, Map<String, String> campaignFields) {
        return state.addContact(task, campaignFields);
    }

    /**
     * Moves the contact to $status "success" (status_detail "Termin") in that task: new $version, new
     * $entry_date, a new $task_log entry with one "update" transaction fired now. Returns the fired time.
     */
    public Instant succeed(String contactId, String task) {
        return moveTo(contactId, task, "success", "Termin");
    }

    /**
     * Status move (open|success|declined|failed) with the same semantics as {@link #succeed}. The
     * status_detail is "$none" for open, "Termin" for success, "Kein Interesse" for declined and
     * "$wrong_number" for failed.
     */
    public Instant moveTo(String contactId, String task, String status) {
        return moveTo(contactId, task, status, defaultStatusDetail(status));
    }

    /** Status move with an explicit status_detail. */
    public Instant moveTo(String contactId, String task, String status, String statusDetail) {
        return state.moveTo(contactId, task, status, statusDetail == null ? defaultStatusDetail(status) : statusDetail);
    }

    /**
     * A success (status_detail "Termin") whose transaction was fired {@code age} ago but reaches the
     * feed only now (Dialfire delivered or enriched it late): it sorts into the feed at its old fired time.
     */
    public Instant succeedLate(String contactId, String task, Duration age) {
        return state.moveTo(contactId, task, "success", "Termin", age);
    }

    /**
     * Skews the simulated Dialfire clock against the wall clock (negative: Dialfire runs behind, as when
     * the app's clock runs ahead). Only right after {@link #reset()}, on an empty feed.
     */
    public void setClockOffset(Duration offset) {
        state.setClockOffset(offset);
    }

    /** Changes fields: new $version and an "update" transaction fired now in the contact's current task. */
    public Instant updateFields(String contactId, Map<String, String> fields) {
        return state.updateFields(contactId, fields);
    }

    /**
     * A copy of the flat contact, as flat_view returns it.
     *
     * @throws IllegalArgumentException if the id is unknown
     */
    public Map<String, Object> contact(String contactId) {
        return state.flatView(contactId)
                .orElseThrow(() -> new IllegalArgumentException("unknown contact: " + contactId));
    }

    /**
     * Stores a file in the campaign resources folder; {@code path} is relative to resources/, e.g.
     * "leads/ABC.pdf" or "public/logo.png". A null content type is guessed from the file extension.
     */
    public void putResource(String path, byte[] bytes, String contentType) {
        if (path == null || CampaignState.normalizeResourcePath(path).isEmpty()) {
            throw new IllegalArgumentException("resource path must not be empty");
        }
        String type = contentType == null || contentType.isBlank() ? guessContentType(path) : contentType;
        state.putResource(path, new CampaignState.Resource(bytes.clone(), type));
    }

    /**
     * Fault injection: the next {@code times} /api requests whose path (plus {@code ?query}) contains {@code pathFragment}
     * answer with {@code httpStatus} (text/plain body "Forbidden" for 403, a short text otherwise).
     * Checked before authentication.
     */
    public void failNext(String pathFragment, int httpStatus, int times) {
        faults.failNext(pathFragment, httpStatus, times);
    }

    /** The next {@code times} matching /api requests are delayed by {@code delay}, then answered normally. */
    public void delayNext(String pathFragment, Duration delay, int times) {
        faults.delayNext(pathFragment, delay, times);
    }

    /**
     * The next {@code times} requests whose path (with query) contains {@code pathFragment} get 200 and the
     * headers at once, then one byte, then nothing for {@code stall}, then the connection closes.
     */
    public void stallNext(String pathFragment, Duration stall, int times) {
        faults.stallNext(pathFragment, stall, times);
    }

    public void clearFaults() {
        faults.clear();
    }

    /** Drops contacts, resources, transactions, faults and the request log. */
    public void reset() {
        faults.clear();
        state.reset();
    }

    /** "METHOD /path?query" (raw, as received) of every /api request, in arrival order. */
    public List<String> requestLog() {
        return state.requestLog();
    }

    /** Number of transactions in the feed (status moves and field updates; not contact creation). */
    public int transactionCount() {
        return state.transactionCount();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/__sim") || path.startsWith("/__sim/")) {
                control.handle(exchange);
            } else if (path.equals("/api") || path.startsWith("/api/")) {
                api.handle(exchange);
            } else {
                SimHttp.sendText(exchange, 404, "Not Found");
            }
        } catch (RuntimeException | IOException e) {
            LOG.warn("Dialfire simulator failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            try {
                SimHttp.sendText(exchange, 500, "Simulator error: " + e.getMessage());
            } catch (IOException | RuntimeException ignored) {
                // headers were already sent or the client is gone
            }
        } finally {
            exchange.close();
        }
    }

    private static String defaultStatusDetail(String status) {
        return switch (status == null ? "" : status) {
            case "success" -> "Termin";
            case "declined" -> "Kein Interesse";
            case "failed" -> "$wrong_number";
            default -> "$none";
        };
    }

    private static String guessContentType(String path) {
        String lower = path.toLowerCase();
        if (lower.endsWith(".pdf")) {
            return "application/pdf";
        } else if (lower.endsWith(".json")) {
            return "application/json";
        } else if (lower.endsWith(".txt")) {
            return "text/plain";
        } else if (lower.endsWith(".png")) {
            return "image/png";
        } else if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        return "application/octet-stream";
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "dialfire-sim-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Runs a standalone simulator: {@code [port] [campaignId] [campaignToken]}, defaults 8089,
     * GEOLEADSIMCAMP01, sim-campaign-token. Stops on Ctrl-C.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8089;
        String campaignId = args.length > 1 ? args[1] : "GEOLEADSIMCAMP01";
        String campaignToken = args.length > 2 ? args[2] : "sim-campaign-token";
        DialfireSimulator simulator = start(port, campaignId, campaignToken);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            stopped.countDown();
        }));
        System.out.println("Dialfire simulator: " + simulator.baseUrl() + "/api/campaigns/" + campaignId
                + "/  (token " + campaignToken + ")");
        stopped.await();
    }
}
