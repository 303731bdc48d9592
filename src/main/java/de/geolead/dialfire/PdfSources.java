package de.geolead.dialfire;

import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where lead sheets may be fetched from (the guard against server-side request forgery through a
 * contact's {@code pdf_url}):
 * <ul>
 *   <li>only http and https;</li>
 *   <li>a host matching an entry of {@code DIALFIRE_PDF_HOSTS} (comma-separated host suffixes:
 *       {@code example.com} matches {@code example.com} and {@code files.example.com}, never
 *       {@code evilexample.com}; an IP address matches only itself), by default the Dialfire API host;
 *       and always the campaign's resources path on the Dialfire API itself;</li>
 *   <li>the host's addresses must be public: loopback, private (site-local, unique-local), link-local
 *       (which holds the cloud metadata address 169.254.169.254), any-local, multicast, reserved ranges and
 *       the IPv4-mapped or -embedding IPv6 forms of those are refused &mdash; unless the host is listed
 *       exactly (not only by suffix) in {@code DIALFIRE_PDF_HOSTS} or is the Dialfire API (same host and port).</li>
 * </ul>
 * Every redirect hop is checked again by the caller ({@link LeadSheets}); and {@link #dnsResolver()}, bound to the
 * http components, checks the addresses actually connected to, so a name that resolves to a public address when
 * judged and to a private one when connected (DNS rebinding) is refused all the same.
 */
public final class PdfSources {

    private final String apiHost;
    private final int apiPort;
    private final String resourcesPath;
    private final List<String> suffixes = new ArrayList<>();
    private final Set<String> explicitHosts = new HashSet<>();

    /**
     * @param dialfireBase    the Dialfire API base URL
     * @param resourcesPath   the raw path prefix of the campaign's resources, e.g. {@code /api/campaigns/X/resources/}
     * @param configuredHosts the entries of {@code DIALFIRE_PDF_HOSTS}; empty = the Dialfire API host (by suffix, not explicit)
     */
    public PdfSources(URI dialfireBase, String resourcesPath, List<String> configuredHosts) {
        this.apiHost = normalizeHost(dialfireBase.getHost());
        this.apiPort = effectivePort(dialfireBase);
        this.resourcesPath = resourcesPath;
        List<String> entries = configuredHosts.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (entries.isEmpty()) {
            suffixes.add(apiHost);
        }
        for (String entry : entries) {
            String host = normalizeHost(entry);
            boolean suffixOnly = host.startsWith("*.") || host.startsWith(".");
            host = host.replaceFirst("^\\*?\\.", "");
            if (host.isEmpty()) {
                continue;
            }
            suffixes.add(host);
            if (!suffixOnly) {
                explicitHosts.add(host);
            }
        }
    }

    /**
     * Whether a lead sheet may be fetched from {@code uri}.
     *
     * @throws UnknownHostException if the host must be resolved to be judged and cannot be (a temporary failure)
     */
    public boolean allows(URI uri) throws UnknownHostException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = normalizeHost(uri.getHost());
        if (!(scheme.equals("http") || scheme.equals("https")) || host.isEmpty()) {
            return false;
        }
        boolean api = host.equals(apiHost) && effectivePort(uri) == apiPort;
        boolean resources = api && uri.getRawPath() != null && uri.getRawPath().startsWith(resourcesPath);
        boolean listed = suffixes.stream().anyMatch(suffix -> hostMatches(host, suffix));
        if (!listed && !resources) {
            return false;
        }
        if (api || explicitHosts.contains(host)) {
            return true;
        }
        for (InetAddress address : InetAddress.getAllByName(host)) {
            if (isForbidden(address)) {
                return false;
            }
        }
        return true;
    }

    /** A host's addresses may be connected to, or {@link ForbiddenAddressException} says why not. */
    public void checkAddresses(String host, InetAddress[] addresses) throws ForbiddenAddressException {
        String h = normalizeHost(host);
        if (h.equals(apiHost) || explicitHosts.contains(h)) {
            return;
        }
        for (InetAddress address : addresses) {
            if (isForbidden(address)) {
                throw new ForbiddenAddressException();
            }
        }
    }

    /** A host that resolves to an address lead sheets may not come from (loopback, private, link-local, …). */
    public static final class ForbiddenAddressException extends UnknownHostException {
        public ForbiddenAddressException() {
            super("address not allowed");
        }
    }

    /** The system's resolver, refusing the addresses {@link #checkAddresses} refuses: for the connection manager. */
    public DnsResolver dnsResolver() {
        return new SystemDefaultDnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                InetAddress[] addresses = super.resolve(host);
                checkAddresses(host, addresses);
                return addresses;
            }

            @Override
            public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
                return Arrays.stream(resolve(host)).map(a -> new InetSocketAddress(a, port)).toList();
            }
        };
    }

    /** {@code host} is {@code suffix} or a subdomain of it; an IP literal only matches itself. */
    static boolean hostMatches(String host, String suffix) {
        if (host.equals(suffix)) {
            return true;
        }
        if (isIpLiteral(host) || isIpLiteral(suffix)) {
            return false;
        }
        return host.endsWith("." + suffix);
    }

    /** Loopback, private, link-local (cloud metadata), any-local, multicast, reserved, and IPv6 forms embedding those. */
    public static boolean isForbidden(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return isForbiddenV4(b[0] & 0xff, b[1] & 0xff, b[2] & 0xff);
        }
        int b0 = b[0] & 0xff;
        int b1 = b[1] & 0xff;
        if ((b0 & 0xfe) == 0xfc) {
            return true; // fc00::/7 unique local (holds e.g. AWS's IPv6 metadata fd00:ec2::254)
        }
        if (zeros(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return isForbiddenV4(b[12] & 0xff, b[13] & 0xff, b[14] & 0xff); // ::ffff:a.b.c.d (IPv4-mapped)
        }
        if (zeros(b, 0, 12)) {
            return true; // ::/96: unspecified, loopback and the deprecated IPv4-compatible form
        }
        if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && zeros(b, 4, 12)) {
            return isForbiddenV4(b[12] & 0xff, b[13] & 0xff, b[14] & 0xff); // 64:ff9b::/96 NAT64
        }
        if (b0 == 0x20 && b1 == 0x02) {
            return isForbiddenV4(b[2] & 0xff, b[3] & 0xff, b[4] & 0xff); // 2002::/16 6to4
        }
        return false;
    }

    private static boolean isForbiddenV4(int a, int b, int c) {
        return a == 0 || a == 10 || a == 127
                || (a == 100 && (b & 0xc0) == 64)      // 100.64/10 carrier-grade NAT
                || (a == 169 && b == 254)              // link-local, cloud metadata
                || (a == 172 && (b & 0xf0) == 16)      // 172.16/12
                || (a == 192 && b == 168)
                || (a == 192 && b == 0 && c == 0)      // 192.0.0/24 protocol assignments
                || (a == 198 && (b & 0xfe) == 18)      // 198.18/15 benchmarking
                || a >= 224;                           // multicast, reserved, broadcast
    }

    private static boolean zeros(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("[0-9.]+");
    }

    private static String normalizeHost(String host) {
        if (host == null) {
            return "";
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static int effectivePort(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
