package de.geolead.billing;

import io.vertx.core.net.SocketAddress;
import org.apache.camel.Header;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per minute per client address for the public webhook (a fixed one-minute window per address).
 * Beyond the limit a call is refused with 429 before any signature work is done. 0 = no limit.
 * The client address is the TCP peer, or, when the peer is one of the {@link TrustedProxies}, the address
 * that proxy reports in {@code X-Forwarded-For}.
 * The windows are kept in this instance's memory: behind a balancer over N instances a client may make up to
 * N times the limit across the cluster (README, Running several instances).
 */
public class WebhookRateLimit {

    private static final long MINUTE = 60_000;

    private record Window(long start, int count) {}

    private final int perMinute;
    private final Clock clock;
    private final TrustedProxies proxies;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    public WebhookRateLimit(int perMinute, Clock clock) {
        this(perMinute, clock, TrustedProxies.none());
    }

    public WebhookRateLimit(int perMinute, Clock clock, TrustedProxies proxies) {
        this.perMinute = perMinute;
        this.clock = clock;
        this.proxies = proxies;
    }

    /**
     * The route's call (route {@code stripe-webhook}): one HTTP request, from its TCP peer (platform-http's remote
     * address header) and its X-Forwarded-For header. Bound by annotation, so no expression is evaluated per request.
     */
    public void checkRequest(@Header("CamelVertxPlatformHttpRemoteAddress") SocketAddress peer, @Header("X-Forwarded-For") Object forwardedFor) {
        if (perMinute <= 0) {
            return;
        }
        check(peer == null ? null : peer.hostAddress(), forwardedFor);
    }

    /** Counts one call from TCP {@code peer} carrying {@code forwardedFor} (X-Forwarded-For, may be null). */
    public void check(String peer, Object forwardedFor) {
        check(proxies.client(peer, forwardedFor));
    }

    /** Counts one call of {@code client}; throws {@link RateLimitedException} beyond the limit. */
    public void check(Object client) {
        if (perMinute <= 0) {
            return;
        }
        long now = clock.millis();
        String key = String.valueOf(client);
        Window window = windows.compute(key, (k, w) -> w == null || now - w.start() >= MINUTE ? new Window(now, 1) : new Window(w.start(), w.count() + 1));
        if (windows.size() > 10_000) {
            windows.values().removeIf(w -> now - w.start() >= MINUTE);
        }
        if (window.count() > perMinute) {
            throw new RateLimitedException("more than " + perMinute + " webhook calls a minute from " + key);
        }
    }

    /** Answered 429. */
    public static class RateLimitedException extends RuntimeException {
        public RateLimitedException(String message) {
            super(message);
        }
    }
}
