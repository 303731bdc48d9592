package de.geolead.dialfire;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The address and host rules of {@link PdfSources} (issue 9 item 4, SSRF through pdf_url). */
@Tag("faults")
class PdfSourcesTest {

    private static final String RESOURCES = "/api/campaigns/C1/resources/";

    private static PdfSources sources(String base, String... hosts) {
        return new PdfSources(URI.create(base), RESOURCES, List.of(hosts));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "169.254.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "198.18.0.1",
            "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1",
            "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
            "64:ff9b::a9fe:a9fe", "2002:7f00:1::1"})
    void privateLoopbackLinkLocalAndTheirIpv6FormsAreForbidden(String address) throws UnknownHostException {
        assertThat(PdfSources.isForbidden(InetAddress.getByName(address))).as(address).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8",
            "2002:0808:0808::1"})
    void publicAddressesAreFine(String address) throws UnknownHostException {
        assertThat(PdfSources.isForbidden(InetAddress.getByName(address))).as(address).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
            "example.com, example.com, true",
            "files.example.com, example.com, true",
            "a.b.example.com, example.com, true",
            "evilexample.com, example.com, false",
            "example.com.evil.net, example.com, false",
            "example.com, files.example.com, false",
            "127.0.0.1, 0.0.1, false",
            "10.127.0.0.1, 127.0.0.1, false",
            "127.0.0.1, 127.0.0.1, true"})
    void suffixesMatchWholeLabelsAndIpAddressesOnlyThemselves(String host, String suffix, boolean matches) {
        assertThat(PdfSources.hostMatches(host, suffix)).isEqualTo(matches);
    }

    @Test
    void byDefaultOnlyTheDialfireApiHostAndItsSubdomains() throws UnknownHostException {
        PdfSources sources = sources("https://api.dialfire.com");

        assertThat(sources.allows(URI.create("https://api.dialfire.com/api/campaigns/C1/resources/a.pdf"))).isTrue();
        assertThat(sources.allows(URI.create("https://api.dialfire.com/anything.pdf"))).isTrue();
        assertThat(sources.allows(URI.create("https://files.example.com/a.pdf"))).isFalse();
        assertThat(sources.allows(URI.create("https://evilapi.dialfire.com/a.pdf"))).isFalse();
        assertThat(sources.allows(URI.create("http://169.254.169.254/latest/meta-data/"))).isFalse();
    }

    @Test
    void onlyHttpAndHttps() throws UnknownHostException {
        PdfSources sources = sources("https://api.dialfire.com");

        assertThat(sources.allows(URI.create("ftp://api.dialfire.com/a.pdf"))).isFalse();
        assertThat(sources.allows(URI.create("file://api.dialfire.com/etc/passwd"))).isFalse();
        assertThat(sources.allows(URI.create("jar:https://api.dialfire.com/a.pdf!/x"))).isFalse();
    }

    @Test
    void theDialfireResourcePathIsAllowedEvenWhenTheListNamesOtherHosts() throws UnknownHostException {
        PdfSources sources = sources("https://api.dialfire.com", "storage.example.com");

        assertThat(sources.allows(URI.create("https://api.dialfire.com/api/campaigns/C1/resources/a.pdf"))).isTrue();
        assertThat(sources.allows(URI.create("https://api.dialfire.com/api/campaigns/C1/contacts/transactions/"))).isFalse();
        assertThat(sources.allows(URI.create("https://api.dialfire.com/api/campaigns/OTHER/resources/a.pdf"))).isFalse();
    }

    /* The simulator runs on 127.0.0.1: the API itself (same host AND port) is fine, other loopback ports are not. */
    @Test
    void aLoopbackApiHostIsAllowedButNotItsNeighbourPorts() throws UnknownHostException {
        PdfSources sources = sources("http://127.0.0.1:8089");

        assertThat(sources.allows(URI.create("http://127.0.0.1:8089/api/campaigns/C1/resources/a.pdf"))).isTrue();
        assertThat(sources.allows(URI.create("http://127.0.0.1:9876/observe/health"))).isFalse();
        assertThat(sources.allows(URI.create("http://127.0.0.1:61616/"))).isFalse();
        assertThat(sources.allows(URI.create("http://[::ffff:127.0.0.1]:9876/"))).isFalse();
    }

    @Test
    void aHostListedExactlyMayBePrivateOneListedOnlyBySuffixMayNot() throws UnknownHostException {
        assertThat(sources("https://api.dialfire.com", "localhost").allows(URI.create("http://localhost:8123/a.pdf"))).isTrue();
        assertThat(sources("https://api.dialfire.com", ".localhost").allows(URI.create("http://localhost:8123/a.pdf"))).isFalse();
        assertThat(sources("https://api.dialfire.com", "*.localhost").allows(URI.create("http://localhost:8123/a.pdf"))).isFalse();
        assertThat(sources("https://api.dialfire.com", "127.0.0.1").allows(URI.create("http://127.0.0.1:8123/a.pdf"))).isTrue();
        assertThat(sources("https://api.dialfire.com", "LOCALHOST.").allows(URI.create("http://LocalHost:1/a.pdf"))).isTrue();
    }
}
