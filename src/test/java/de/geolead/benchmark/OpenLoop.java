package de.geolead.benchmark;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * An open-loop load generator in the manner of wrk2: request {@code i} is <em>scheduled</em> at
 * {@code start + i / rate}, whatever the server did with the ones before, and its latency is counted from that
 * scheduled time, not from when it actually went out. A stalled server therefore shows in the latencies of every
 * request that should have been sent during the stall (no coordinated omission).
 *
 * <p>At most {@code connections} requests are in flight (HTTP/1.1, one connection each, like wrk2's fixed connection
 * count); when all are busy the next request waits for one and is sent late, still timed from its schedule. Errors are
 * counted separately: answers other than 2xx, exceptions (connection refused or reset), and timeouts.
 * {@link Result#maxSendLagMs()} and {@link Result#sendRate()} tell whether the generator itself kept the schedule.
 */
public final class OpenLoop implements AutoCloseable {

    /** What one run measured. {@code ok} counts 2xx answers whose body was {@code okBody} (null: any 2xx). */
    public record Result(double offeredRate, long scheduled, long succeeded, long ok, long non2xx, long exceptions, long timeouts,
                         Latency latency, double sendRate, double maxSendLagMs, double seconds) {

        public long errors() {
            return non2xx + exceptions + timeouts;
        }

        /** For a benchmark's note: offered and achieved rates, max latency and the errors. */
        public String describe() {
            return String.format(Locale.ROOT, "offered %.0f/s (sent at %.0f/s, max send lag %s ms), max %s ms, errors %d (non-2xx %d, exceptions %d, timeouts %d)",
                    offeredRate, sendRate, Report.ms(maxSendLagMs), Report.ms(latency.maxMs()), errors(), non2xx, exceptions, timeouts);
        }
    }

    private final HttpClient client;
    private final ExecutorService executor;
    private final int connections;
    private final Duration timeout;

    /** A generator with at most {@code connections} requests in flight, each failing as a timeout after {@code timeout}. */
    public OpenLoop(int connections, Duration timeout) {
        this.connections = connections;
        this.timeout = timeout;
        this.executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "open-loop-client");
            thread.setDaemon(true);
            return thread;
        });
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(timeout).build();
    }

    /**
     * Sends {@code count} requests at {@code rate} per second ({@code request.apply(i)} builds the i-th; its timeout is
     * set here) and waits for every answer. {@code okBody}: the 2xx body counted as {@link Result#ok()} (null: any).
     */
    public Result run(double rate, int count, IntFunction<HttpRequest.Builder> request, String okBody) throws InterruptedException {
        Latency latency = new Latency();
        Semaphore inFlight = new Semaphore(connections);
        AtomicLong succeeded = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        AtomicLong non2xx = new AtomicLong();
        AtomicLong exceptions = new AtomicLong();
        AtomicLong timeouts = new AtomicLong();
        CompletableFuture<?>[] all = new CompletableFuture<?>[count];
        long maxLag = 0;
        double intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long lastSend = start;
        for (int i = 0; i < count; i++) {
            HttpRequest built = request.apply(i).timeout(timeout).build();
            long scheduled = start + (long) (i * intervalNanos);
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            inFlight.acquire(); // all connections busy: this request goes out late, still timed from its schedule
            lastSend = System.nanoTime();
            maxLag = Math.max(maxLag, lastSend - scheduled);
            all[i] = client.sendAsync(built, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
                latency.recordNanos(System.nanoTime() - scheduled);
                inFlight.release();
                if (failure != null) {
                    (cause(failure) instanceof HttpTimeoutException ? timeouts : exceptions).incrementAndGet();
                } else if (response.statusCode() / 100 != 2) {
                    non2xx.incrementAndGet();
                } else {
                    succeeded.incrementAndGet();
                    if (okBody == null || okBody.equals(response.body())) {
                        ok.incrementAndGet();
                    }
                }
            });
        }
        double sendSeconds = (lastSend - start) / 1e9;
        try {
            CompletableFuture.allOf(all).exceptionally(failure -> null).get(timeout.toMillis() * 2 + 10_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("open-loop requests did not finish", e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(rate, count, succeeded.get(), ok.get(), non2xx.get(), exceptions.get(), timeouts.get(), latency,
                count <= 1 || sendSeconds <= 0 ? rate : (count - 1) / sendSeconds, maxLag / 1e6, seconds);
    }

    private static Throwable cause(Throwable failure) {
        Throwable t = failure;
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Stops the client's threads. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
