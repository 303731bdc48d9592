package de.geolead.dialfire;

import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpRequestInterceptor;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Locale;

/**
 * The last word on where the campaign token may go, in the http components themselves (so that no route edit can
 * send it elsewhere): an {@code Authorization} header carrying it is removed from every request that is not for the
 * Dialfire API's own scheme, host and port ({@code DIALFIRE_BASE_URL}, which must be https or a loopback host).
 */
public final class TokenGuard implements HttpRequestInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(TokenGuard.class);

    private final String apiAuthority;
    private final String bearer;

    public TokenGuard(URI dialfireBase, String token) {
        this.apiAuthority = authority(dialfireBase.getScheme(), dialfireBase.getHost(), dialfireBase.getPort());
        this.bearer = "Bearer " + token;
    }

    /** Whether the token may be sent to this scheme, host and port (-1 = the scheme's default). */
    public boolean allows(String scheme, String host, int port) {
        return authority(scheme, host, port).equals(apiAuthority);
    }

    @Override
    public void process(HttpRequest request, EntityDetails entity, HttpContext context) {
        boolean carriesToken = false;
        for (Header header : request.getHeaders(HttpHeaders.AUTHORIZATION)) {
            carriesToken |= header.getValue() != null && header.getValue().trim().equals(bearer);
        }
        if (!carriesToken) {
            return;
        }
        String host = request.getAuthority() == null ? "" : request.getAuthority().getHostName();
        int port = request.getAuthority() == null ? -1 : request.getAuthority().getPort();
        if (!allows(request.getScheme(), host, port)) {
            request.removeHeaders(HttpHeaders.AUTHORIZATION);
            LOG.warn("The Dialfire campaign token was removed from a request that is not for the Dialfire API");
        }
    }

    /** scheme://host:port, lower case, the port made explicit. */
    static String authority(String scheme, String host, int port) {
        String s = scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
        String h = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        int p = port >= 0 ? port : s.equals("https") ? 443 : 80;
        return s + "://" + h + ":" + p;
    }
}
