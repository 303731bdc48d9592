package de.geolead.billing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The reverse proxies whose {@code X-Forwarded-For} header is believed (CIDR ranges, IPv4 and IPv6), and the
 * client address of a request behind them. Empty = no proxy is trusted: the client is the TCP peer.
 * Addresses are only ever parsed as literals, never looked up in DNS.
 */
public final class TrustedProxies {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** One range: the network's bytes and its prefix length. */
    private record Range(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Range> ranges;

    private TrustedProxies(List<Range> ranges) {
        this.ranges = ranges;
    }

    public static TrustedProxies none() {
        return new TrustedProxies(List.of());
    }

    /**
     * Comma-separated CIDRs ({@code 10.0.0.0/8}, {@code 172.18.0.1/32}, {@code fd00::/8}) or single addresses.
     * @throws IllegalArgumentException naming the first entry that is neither
     */
    public static TrustedProxies parse(String commaSeparated) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : Arrays.stream(commaSeparated == null ? new String[0] : commaSeparated.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList()) {
            ranges.add(range(entry));
        }
        return new TrustedProxies(List.copyOf(ranges));
    }

    private static Range range(String entry) {
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        byte[] network = literal(address);
        if (network == null) {
            throw new IllegalArgumentException("'" + entry + "' is not an IPv4 or IPv6 address or CIDR range");
        }
        int max = network.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String bits = entry.substring(slash + 1);
            if (!bits.matches("\\d{1,3}") || Integer.parseInt(bits) > max) {
                throw new IllegalArgumentException("'" + entry + "' has no valid prefix length (0 to " + max + ")");
            }
            prefix = Integer.parseInt(bits);
        }
        return new Range(network, prefix);
    }

    /** The bytes of an IP literal (IPv4-mapped IPv6 as IPv4), or null if {@code text} is none. */
    static byte[] literal(String text) {
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        if (IPV4.matcher(t).matches()) {
            for (String part : t.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        } else if (!IPV6.matcher(t).matches()) {
            return null; // never a host name: no DNS lookups
        }
        try {
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Whether {@code address} (an IP literal) lies in one of the ranges; false for anything else. */
    public boolean contains(String address) {
        byte[] bytes = address == null ? null : literal(address);
        return bytes != null && ranges.stream().anyMatch(range -> range.contains(bytes));
    }

    /**
     * The client of a request from the TCP {@code peer}: the peer itself unless it is a trusted proxy; then the
     * right-most address of {@code X-Forwarded-For} (walking from the right) that is not itself a trusted proxy,
     * or the left-most one if all are. A missing or malformed header gives the peer.
     *
     * @param forwardedFor the header's value; several headers as a list of values (joined in order)
     */
    public String client(String peer, Object forwardedFor) {
        if (ranges.isEmpty() || !contains(peer)) {
            return peer;
        }
        String header = forwardedFor instanceof Iterable<?> values ? String.join(",", strings(values)) : forwardedFor == null ? "" : forwardedFor.toString();
        if (header.isBlank()) {
            return peer;
        }
        String[] hops = header.split(",", -1);
        List<String> addresses = new ArrayList<>();
        for (String hop : hops) {
            byte[] bytes = literal(hop);
            if (bytes == null) {
                return peer;
            }
            addresses.add(text(bytes));
        }
        for (int i = addresses.size() - 1; i > 0; i--) {
            if (!contains(addresses.get(i))) {
                return addresses.get(i);
            }
        }
        return addresses.get(0);
    }

    /** The canonical text of an address ({@code 2001:db8:0:0:0:0:0:1}), so one client is one key however it is written. */
    private static String text(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> strings(Iterable<?> values) {
        List<String> list = new ArrayList<>();
        values.forEach(value -> list.add(String.valueOf(value)));
        return list;
    }
}
