package de.geolead.benchmark;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The open-loop generator counts latency from the scheduled send time: one server stall shows in every request it delayed. */
class OpenLoopTest {

    @Test
    void aStallDelaysTheRequestsScheduledDuringItAndTheirLatencyCountsFromTheSchedule() throws Exception {
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            if (body.toString().equals("stall")) {
                vertx.setTimer(600, timer -> request.response().end("ok")); // the server stalls once, on that request
            } else {
                request.response().end("ok");
            }
        }));
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try (OpenLoop generator = new OpenLoop(1, Duration.ofSeconds(5))) {
            URI uri = URI.create("http://127.0.0.1:" + server.actualPort() + "/");
            generator.run(100, 20, i -> HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("warm-up")), "ok");
            // 100 requests at 50/s on one connection: the 29 scheduled during the 600 ms stall wait for it
            OpenLoop.Result result = generator.run(50, 100, i -> HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(i == 0 ? "stall" : "e" + i)), "ok");

            assertThat(result.scheduled()).isEqualTo(100);
            assertThat(result.ok()).isEqualTo(100);
            assertThat(result.errors()).isZero();
            assertThat(result.latency().count()).isEqualTo(100);
            assertThat(result.latency().maxMs()).isGreaterThanOrEqualTo(600);
            // request k (k < 30) was scheduled at 20k ms and answered just after 600 ms: 26 of 100 took >= 100 ms.
            // Timed from the actual send, only the first would (p80 about 1 ms).
            assertThat(result.latency().percentileMs(80)).isGreaterThanOrEqualTo(100);
            assertThat(result.maxSendLagMs()).as("the generator reports that it sent late").isGreaterThanOrEqualTo(400);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
