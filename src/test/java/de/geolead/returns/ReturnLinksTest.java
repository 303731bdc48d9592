package de.geolead.returns;

import de.geolead.delivery.ReturnLink;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The signed return link's token: what it carries, and that nothing else passes. */
class ReturnLinksTest {

    static final String SECRET = "0123456789abcdef0123456789abcdef";
    static final Instant SENT = Instant.parse("2026-11-20T10:00:00Z");

    static ReturnLinks at(Instant now) {
        return new ReturnLinks(SECRET, "https://leads.example.de/", Duration.ofDays(7), Clock.fixed(now, ZoneOffset.UTC));
    }

    static String token(ReturnLink link) {
        return link.url().substring("https://leads.example.de/r/".length());
    }

    @Test
    void aLinkCarriesLeadAgentMailAndExpiryAndIsValidUntilThen() {
        ReturnLink link = at(SENT).linkFor(42, 7, 311, SENT).orElseThrow();

        assertThat(link.url()).startsWith("https://leads.example.de/r/");
        assertThat(link.until()).isEqualTo(SENT.plus(Duration.ofDays(7)));
        ReturnLinks.Checked checked = at(SENT.plus(Duration.ofDays(7))).check(token(link));
        assertThat(checked.verdict()).isEqualTo(ReturnLinks.Verdict.VALID);
        assertThat(checked.claims()).isEqualTo(new ReturnLinks.Claims(42, 7, 311, SENT.plus(Duration.ofDays(7))));
        assertThat(new String(Base64.getUrlDecoder().decode(token(link).split("\\.")[0]))).isEqualTo("42.7.311." + link.until().getEpochSecond());
    }

    @Test
    void afterItsExpiryTheLinkIsExpired() {
        String token = token(at(SENT).linkFor(42, 7, 311, SENT).orElseThrow());
        assertThat(at(SENT.plus(Duration.ofDays(7)).plusSeconds(1)).check(token).verdict()).isEqualTo(ReturnLinks.Verdict.EXPIRED);
    }

    @Test
    void aChangedClaimAForeignSecretOrGarbageIsInvalid() {
        String token = token(at(SENT).linkFor(42, 7, 311, SENT).orElseThrow());
        String mac = token.split("\\.")[1];
        String otherLead = Base64.getUrlEncoder().withoutPadding().encodeToString(("43.7.311." + SENT.plus(Duration.ofDays(7)).getEpochSecond()).getBytes());
        String later = Base64.getUrlEncoder().withoutPadding().encodeToString(("42.7.311." + SENT.plus(Duration.ofDays(70)).getEpochSecond()).getBytes());
        String foreign = token(new ReturnLinks("another secret of 32 bytes or more!", "https://leads.example.de", Duration.ofDays(7),
                Clock.fixed(SENT, ZoneOffset.UTC)).linkFor(42, 7, 311, SENT).orElseThrow());
        ReturnLinks links = at(SENT);

        for (String bad : new String[] {otherLead + "." + mac, later + "." + mac, foreign, token + "x", token.replace('.', '-'),
                "", null, "a.b", token.split("\\.")[0], token + "." + mac, "x".repeat(300)}) {
            assertThat(links.check(bad).verdict()).as(String.valueOf(bad)).isEqualTo(ReturnLinks.Verdict.INVALID);
            assertThat(links.check(bad).claims()).isNull();
        }
    }

    @Test
    void withoutASecretOfThirtyTwoBytesOrAPublicUrlThereAreNoLinks() {
        Clock clock = Clock.fixed(SENT, ZoneOffset.UTC);
        assertThat(new ReturnLinks("", "https://leads.example.de", Duration.ofDays(7), clock).linkFor(1, 2, 3, SENT)).isEmpty();
        assertThat(new ReturnLinks("too short", "https://leads.example.de", Duration.ofDays(7), clock).enabled()).isFalse();
        assertThat(new ReturnLinks(SECRET, "", Duration.ofDays(7), clock).enabled()).isFalse();
        assertThat(new ReturnLinks(SECRET, "ftp://leads.example.de", Duration.ofDays(7), clock).enabled()).isFalse();
        assertThat(new ReturnLinks(SECRET, "", Duration.ofDays(7), clock).check("anything.at-all").verdict()).isEqualTo(ReturnLinks.Verdict.INVALID);
        assertThat(ReturnLinks.whyOff("", "https://x.de")).contains("GEOLEAD_LINK_SECRET is not set");
        assertThat(ReturnLinks.whyOff("short", "https://x.de")).hasValueSatisfying(why -> assertThat(why).contains("shorter than 32 bytes"));
        assertThat(ReturnLinks.whyOff(SECRET, "")).contains("GEOLEAD_PUBLIC_URL is not set");
        assertThat(ReturnLinks.whyOff(SECRET, "leads.example.de")).hasValueSatisfying(why -> assertThat(why).contains("http(s) URL"));
        assertThat(ReturnLinks.whyOff(SECRET, "https://leads.example.de/")).isEmpty();
    }
}
