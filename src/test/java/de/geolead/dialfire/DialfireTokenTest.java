package de.geolead.dialfire;

import de.geolead.lead.LeadSheetDownload;
import de.geolead.simulator.dialfire.LeadSheetPdfGenerator;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.protocol.BasicHttpContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where the campaign token may go: only to the Dialfire API (same scheme, host and port), only over https or to a
 * loopback API host; and lead sheets only from addresses PdfSources allows, also when a name resolves differently
 * at connect time.
 */
@Timeout(30)
class DialfireTokenTest {

    private static final String TOKEN = "campaign-token-guard-9f";
    private static final byte[] PDF = LeadSheetPdfGenerator.leadSheet(Map.of("plz", "80331"));

    @AfterEach
    void closeCalls() {
        DialfireCalls.closeAll();
    }

    // ------------------------------------------------------------------ DIALFIRE_BASE_URL

    @ParameterizedTest
    @ValueSource(strings = {"https://api.dialfire.com", "https://api.dialfire.com/", "http://127.0.0.1:8089", "http://localhost:8089",
            "http://[::1]:8089", "http://127.0.0.2:1234"})
    void theTokenMayTravelOverHttpsOrToALoopbackHost(String baseUrl) {
        assertThat(DialfireApi.baseUrlProblem(baseUrl)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://api.dialfire.com", "http://10.0.0.5:8080", "http://localhost.example.com", "ftp://api.dialfire.com",
            "https://user:pw@api.dialfire.com", "api.dialfire.com", "https://api.dialfire.com?x=1"})
    void anythingElseIsRefusedNamingTheSetting(String baseUrl) {
        assertThat(DialfireApi.baseUrlProblem(baseUrl)).hasValueSatisfying(problem -> assertThat(problem).contains("DIALFIRE_BASE_URL"));
    }

    // ------------------------------------------------------------------ TokenGuard in the http components

    @Test
    void theGuardLetsTheTokenGoToTheApiOnly() throws Exception {
        TokenGuard guard = new TokenGuard(URI.create("http://127.0.0.1:8089"), TOKEN);

        assertThat(sent(guard, "http://127.0.0.1:8089/api/campaigns/C/contacts/flat_view")).isEqualTo("Bearer " + TOKEN);
        // another loopback host, another port, another scheme: not the API
        assertThat(sent(guard, "http://localhost:8089/api/campaigns/C/resources/a.pdf")).isNull();
        assertThat(sent(guard, "http://127.0.0.2:8089/a.pdf")).isNull();
        assertThat(sent(guard, "http://127.0.0.1:8090/a.pdf")).isNull();
        assertThat(sent(guard, "https://127.0.0.1:8089/a.pdf")).isNull();
    }

    @Test
    void theGuardLeavesOtherAuthorizationsAlone() throws Exception {
        TokenGuard guard = new TokenGuard(URI.create("https://api.dialfire.com"), TOKEN);
        BasicClassicHttpRequest request = new BasicClassicHttpRequest("GET", URI.create("https://files.example.com/a.pdf"));
        request.setHeader(HttpHeaders.AUTHORIZATION, "Bearer someone-elses");

        guard.process(request, null, new BasicHttpContext());

        assertThat(request.getFirstHeader(HttpHeaders.AUTHORIZATION).getValue()).isEqualTo("Bearer someone-elses");
        assertThat(guard.allows("https", "api.dialfire.com", -1)).isTrue();
        assertThat(guard.allows("https", "API.Dialfire.com.", 443)).isTrue();
        assertThat(guard.allows("http", "api.dialfire.com", 443)).isFalse();
    }

    private static String sent(TokenGuard guard, String url) throws Exception {
        BasicClassicHttpRequest request = new BasicClassicHttpRequest("GET", URI.create(url));
        request.setHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TOKEN);
        guard.process(request, null, new BasicHttpContext());
        return request.getFirstHeader(HttpHeaders.AUTHORIZATION) == null ? null : request.getFirstHeader(HttpHeaders.AUTHORIZATION).getValue();
    }

    // ------------------------------------------------------------------ end to end through the routes

    /* Two loopback hosts are two hosts: the API on 127.0.0.1, a listed PDF host on "localhost" (same machine). */
    @Test
    void aLeadSheetOnAnotherLoopbackHostGetsNoToken() throws Exception {
        try (FakeServer api = new FakeServer(); FakeServer files = new FakeServer()) {
            files.handler = exchange -> FakeServer.send(exchange, 200, PDF);
            DialfireCalls calls = new DialfireCalls(api.url(""), "C1", TOKEN, 2, Duration.ofMillis(5), Duration.ofSeconds(5), List.of("localhost"));

            LeadSheetDownload viaName = calls.leadSheet(files.url("/a.pdf").replace("127.0.0.1", "localhost"), 1_000_000);

            assertThat(viaName.bytes()).isEqualTo(PDF);
            assertThat(files.requests).singleElement().satisfies(r -> assertThat(r.headers()).doesNotContainKey("authorization"));
        }
    }

    @Test
    void aRedirectFromTheApiToAnotherLoopbackHostIsCheckedAndGetsNoToken() throws Exception {
        try (FakeServer api = new FakeServer(); FakeServer files = new FakeServer()) {
            String target = files.url("/signed/a.pdf?sig=1").replace("127.0.0.1", "localhost");
            api.handler = exchange -> {
                exchange.getResponseHeaders().set("Location", target);
                exchange.sendResponseHeaders(307, -1);
            };
            files.handler = exchange -> FakeServer.send(exchange, 200, PDF);

            LeadSheetDownload listed = new DialfireCalls(api.url(""), "C1", TOKEN, 2, Duration.ofMillis(5), Duration.ofSeconds(5),
                    List.of("localhost")).leadSheet("leads/a.pdf", 1_000_000);
            LeadSheetDownload unlisted = new DialfireCalls(api.url(""), "C1", TOKEN, 2, Duration.ofMillis(5), Duration.ofSeconds(5),
                    List.of()).leadSheet("leads/a.pdf", 1_000_000);

            assertThat(listed.bytes()).isEqualTo(PDF);
            assertThat(unlisted.missingReason()).isEqualTo(LeadSheetDownload.NOT_ALLOWED);
            assertThat(api.requests).hasSize(2).allSatisfy(r -> assertThat(r.header("authorization")).isEqualTo("Bearer " + TOKEN));
            assertThat(files.requests).as("asked once: for the listed host only").singleElement()
                    .satisfies(r -> {
                        assertThat(r.headers()).doesNotContainKey("authorization");
                        assertThat(r.path()).isEqualTo("/signed/a.pdf?sig=1");
                    });
        }
    }

    @Test
    void aRedirectChainLongerThanFiveHopsIsRefused() throws Exception {
        try (FakeServer api = new FakeServer()) {
            api.handler = exchange -> {
                exchange.getResponseHeaders().set("Location", "/api/campaigns/C1/resources/next-" + System.nanoTime() + ".pdf");
                exchange.sendResponseHeaders(302, -1);
            };

            LeadSheetDownload download = new DialfireCalls(api.url(""), "C1", TOKEN, 2, Duration.ofMillis(5), Duration.ofSeconds(5), List.of())
                    .leadSheet("leads/a.pdf", 1_000_000);

            assertThat(download.missingReason()).isEqualTo(LeadSheetDownload.REFUSED);
            assertThat(download.detail()).isEqualTo("too many redirects");
            assertThat(api.requests).hasSize(LeadSheets.MAX_REDIRECTS + 1);
        }
    }

    /* camel-http resolves {{…}} in the URI it is handed: a reference or a redirect must never name a placeholder. */
    @Test
    void aPlaceholderInARedirectIsNeverResolvedIntoARequest() throws Exception {
        try (FakeServer api = new FakeServer(); FakeServer files = new FakeServer()) {
            api.handler = exchange -> {
                exchange.getResponseHeaders().set("Location", files.url("/%7B%7Bdialfire.campaign.token%7D%7D")
                        .replace("127.0.0.1", "localhost").replace("%7B%7B", "{{").replace("%7D%7D", "}}"));
                exchange.sendResponseHeaders(302, -1);
            };
            files.handler = exchange -> FakeServer.send(exchange, 200, PDF);

            LeadSheetDownload download = new DialfireCalls(api.url(""), "C1", TOKEN, 2, Duration.ofMillis(5), Duration.ofSeconds(5),
                    List.of("localhost")).leadSheet("leads/a.pdf", 1_000_000);

            assertThat(download.isPresent()).isFalse();
            assertThat(files.requests).isEmpty();
        }
    }

    // ------------------------------------------------------------------ the address actually connected to

    @Test
    void aNameThatResolvesToAForbiddenAddressAtConnectTimeIsRefused() throws Exception {
        PdfSources sources = new PdfSources(URI.create("https://api.dialfire.com"), "/api/campaigns/C1/resources/", List.of("*.example.com", "localhost"));

        // a name matched by suffix that resolves to loopback when connecting (DNS rebinding)
        assertThatThrownBy(() -> sources.checkAddresses("files.example.com", new InetAddress[]{InetAddress.getByName("127.0.0.1")}))
                .isInstanceOf(PdfSources.ForbiddenAddressException.class);
        assertThatThrownBy(() -> sources.checkAddresses("cdn.files.example.com",
                new InetAddress[]{InetAddress.getByName("93.184.216.34"), InetAddress.getByName("169.254.169.254")}))
                .isInstanceOf(PdfSources.ForbiddenAddressException.class);
        sources.checkAddresses("cdn.example.com", new InetAddress[]{InetAddress.getByName("93.184.216.34")});
        // listed exactly, and the API itself: their addresses are whatever they are
        sources.checkAddresses("localhost", new InetAddress[]{InetAddress.getByName("127.0.0.1")});
        sources.checkAddresses("api.dialfire.com", new InetAddress[]{InetAddress.getByName("10.1.2.3")});
    }
}
