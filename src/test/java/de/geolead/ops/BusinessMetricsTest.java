package de.geolead.ops;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BusinessMetricsTest {

    @Test
    void deadLettersOfTheEmbeddedBrokerAreCountedPerQueueAndNaNWhileItStops() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Map<String, Long> counts = Map.of("geolead.DLQ", 2L, "geolead.ExpiryQueue", 0L);
        BusinessMetrics.registerDeadLetters(meters, List.of("geolead.DLQ", "geolead.ExpiryQueue", "geolead.stopping"), queue -> {
            Long count = counts.get(queue);
            if (count == null) {
                throw new IllegalStateException("broker stopping");
            }
            return count;
        }, null);
        // the count function is held by the gauge alone: it must survive a collection
        System.gc();

        assertThat(value(meters, "geolead.DLQ")).isEqualTo(2.0);
        assertThat(value(meters, "geolead.ExpiryQueue")).isEqualTo(0.0);
        assertThat(value(meters, "geolead.stopping")).isNaN();
    }

    private static double value(SimpleMeterRegistry meters, String queue) {
        return meters.get("geolead.dead.letter.messages").tag("queue", queue).gauge().value();
    }
}
