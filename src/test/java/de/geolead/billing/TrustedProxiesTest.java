package de.geolead.billing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedProxiesTest {

    @Test
    void ipv4RangesMatchOnTheirPrefix() {
        TrustedProxies proxies = TrustedProxies.parse("172.18.0.0/16, 10.1.2.3/32, 192.168.7.128/25");

        assertThat(proxies.contains("172.18.0.1")).isTrue();
        assertThat(proxies.contains("172.18.255.254")).isTrue();
        assertThat(proxies.contains("172.19.0.1")).isFalse();
        assertThat(proxies.contains("10.1.2.3")).as("/32: that one address").isTrue();
        assertThat(proxies.contains("10.1.2.4")).isFalse();
        assertThat(proxies.contains("192.168.7.200")).as("/25 upper half").isTrue();
        assertThat(proxies.contains("192.168.7.100")).isFalse();
        assertThat(proxies.contains("fd00::1")).as("IPv6 never matches an IPv4 range").isFalse();
    }

    @Test
    void ipv6RangesMatchAndIpv4MappedAddressesCountAsIpv4() {
        TrustedProxies proxies = TrustedProxies.parse("fd00::/8,2001:db8::1/128,127.0.0.1");

        assertThat(proxies.contains("fd12:3456::9")).isTrue();
        assertThat(proxies.contains("fe80::1")).isFalse();
        assertThat(proxies.contains("2001:db8:0:0:0:0:0:1")).as("/128, written in full").isTrue();
        assertThat(proxies.contains("2001:db8::2")).isFalse();
        assertThat(proxies.contains("::ffff:127.0.0.1")).as("a bare address is /32").isTrue();
        assertThat(proxies.contains("127.0.0.2")).isFalse();
    }

    @Test
    void slashZeroTrustsEveryAddressOfItsFamily() {
        TrustedProxies v4 = TrustedProxies.parse("0.0.0.0/0");
        TrustedProxies v6 = TrustedProxies.parse("::/0");

        assertThat(v4.contains("203.0.113.9")).isTrue();
        assertThat(v4.contains("2001:db8::1")).isFalse();
        assertThat(v6.contains("2001:db8::1")).isTrue();
    }

    @Test
    void emptyTrustsNobody() {
        assertThat(TrustedProxies.parse("").isEmpty()).isTrue();
        assertThat(TrustedProxies.parse(" , ").isEmpty()).isTrue();
        assertThat(TrustedProxies.parse(null).contains("127.0.0.1")).isFalse();
        assertThat(TrustedProxies.none().client("127.0.0.1", "198.51.100.7")).isEqualTo("127.0.0.1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy.internal", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.256/8", "10.0.0/8",
            "fd00::/129", "fd00:::1/64", "localhost", "10.0.0.0/8/8", "1.2.3.4:80"})
    void badEntriesAreRefusedWithTheEntryInTheMessage(String entry) {
        assertThatThrownBy(() -> TrustedProxies.parse("127.0.0.1/32," + entry))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + entry + "'");
    }

    @Test
    void fromATrustedProxyTheRightMostUntrustedAddressIsTheClient() {
        TrustedProxies proxies = TrustedProxies.parse("127.0.0.1/32,10.0.0.0/8");

        assertThat(proxies.client("127.0.0.1", "198.51.100.7")).isEqualTo("198.51.100.7");
        // the sender wrote a fake first hop; our proxies appended the real one and themselves
        assertThat(proxies.client("127.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.9")).isEqualTo("198.51.100.7");
        assertThat(proxies.client("127.0.0.1", "10.0.0.8, 10.0.0.9")).as("all trusted: the left-most").isEqualTo("10.0.0.8");
        assertThat(proxies.client("127.0.0.1", " 2001:DB8::7 ")).as("canonical text").isEqualTo("2001:db8:0:0:0:0:0:7");
        assertThat(proxies.client("127.0.0.1", "[2001:db8::7]")).isEqualTo("2001:db8:0:0:0:0:0:7");
        assertThat(proxies.client("127.0.0.1", List.of("1.1.1.1", "198.51.100.8"))).as("several headers, in order").isEqualTo("198.51.100.8");
    }

    @Test
    void fromAnyOtherPeerTheHeaderIsIgnored() {
        TrustedProxies proxies = TrustedProxies.parse("10.0.0.0/8");

        assertThat(proxies.client("203.0.113.5", "198.51.100.7")).isEqualTo("203.0.113.5");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "unknown", "198.51.100.7, evil.example", "198.51.100.7,,10.0.0.1", "198.51.100.7:443", "_hidden", "999.1.1.1"})
    void aMissingOrMalformedHeaderCountsAsThePeer(String header) {
        assertThat(TrustedProxies.parse("127.0.0.1").client("127.0.0.1", header)).isEqualTo("127.0.0.1");
        assertThat(TrustedProxies.parse("127.0.0.1").client("127.0.0.1", null)).isEqualTo("127.0.0.1");
    }
}
