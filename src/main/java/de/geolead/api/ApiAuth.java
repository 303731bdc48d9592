package de.geolead.api;

import java.util.Locale;
import java.util.Set;

/**
 * Who may call the operations API: {@code Authorization: Bearer <token>} checked against {@link ApiTokens};
 * a missing or unknown token is 401, a viewer's write (anything but GET and HEAD) is 403.
 * Without a tokens file the API is off: every call is refused with 503 {@code api_off}.
 */
public final class ApiAuth {

    private static final Set<String> READS = Set.of("GET", "HEAD");
    private static final String BEARER = "bearer ";

    private final ApiTokens tokens;

    /** @param tokens null = the API is off */
    public ApiAuth(ApiTokens tokens) {
        this.tokens = tokens;
    }

    public boolean enabled() {
        return tokens != null;
    }

    /** The caller of a request with this {@code Authorization} header and HTTP method, or an {@link ApiProblem}. */
    public ApiUser check(String authorization, String method) {
        ApiUser user = user(authorization);
        if (!user.isAdmin() && !READS.contains(method == null ? "" : method.toUpperCase(Locale.ROOT))) {
            throw new ApiProblem(403, "forbidden", "token " + user.name() + " is a viewer: writes need an admin token");
        }
        return user;
    }

    /** The caller of a request with this {@code Authorization} header, whatever the method. */
    public ApiUser user(String authorization) {
        if (tokens == null) {
            throw new ApiProblem(503, "api_off", "the operations API is off: set GEOLEAD_API_TOKENS_FILE");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new ApiProblem(401, "unauthorized", "send Authorization: Bearer <token>");
        }
        return tokens.authenticate(authorization.substring(BEARER.length()).strip())
                .orElseThrow(() -> new ApiProblem(401, "unauthorized", "unknown token"));
    }
}
