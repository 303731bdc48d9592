package de.geolead.billing;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookRateLimitTest {

    @Test
    void refusesBeyondTheLimitPerAddressAndForgetsAfterAMinute() {
        Instant start = Instant.parse("2026-11-25T10:00:00Z");
        WebhookRateLimit limit = new WebhookRateLimit(3, Clock.fixed(start, ZoneOffset.UTC));
        for (int i = 0; i < 3; i++) {
            limit.check("10.1.1.1");
        }
        assertThatThrownBy(() -> limit.check("10.1.1.1")).isInstanceOf(WebhookRateLimit.RateLimitedException.class)
                .hasMessageContaining("10.1.1.1");
        assertThatCode(() -> limit.check("10.1.1.2")).as("another address").doesNotThrowAnyException();

        WebhookRateLimit later = new WebhookRateLimit(3, Clock.offset(Clock.fixed(start, ZoneOffset.UTC), Duration.ofSeconds(61)));
        assertThatCode(() -> later.check("10.1.1.1")).doesNotThrowAnyException();
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnLimit() {
        WebhookRateLimit limit = new WebhookRateLimit(2, Clock.systemUTC(), TrustedProxies.parse("127.0.0.1/32"));
        limit.check("127.0.0.1", "198.51.100.1");
        limit.check("127.0.0.1", "198.51.100.1");
        assertThatThrownBy(() -> limit.check("127.0.0.1", "198.51.100.1")).isInstanceOf(WebhookRateLimit.RateLimitedException.class)
                .hasMessageContaining("198.51.100.1");
        assertThatCode(() -> limit.check("127.0.0.1", "198.51.100.2")).as("another client behind the same proxy").doesNotThrowAnyException();

        WebhookRateLimit untrusting = new WebhookRateLimit(2, Clock.systemUTC(), TrustedProxies.none());
        untrusting.check("127.0.0.1", "198.51.100.1");
        untrusting.check("127.0.0.1", "198.51.100.2");
        assertThatThrownBy(() -> untrusting.check("127.0.0.1", "198.51.100.3")).as("forged headers are ignored")
                .hasMessageContaining("127.0.0.1");
    }

    @Test
    void zeroMeansNoLimit() {
        WebhookRateLimit limit = new WebhookRateLimit(0, Clock.systemUTC());
        for (int i = 0; i < 1000; i++) {
            limit.check("127.0.0.1");
        }
    }
}
