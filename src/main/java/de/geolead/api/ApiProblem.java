package de.geolead.api;

/**
 * A request the operations API refuses: answered with {@code status} and the JSON body {@code {error, detail}}
 * by the route configuration {@code api-errors} (routes/operations-api.camel.yaml). {@code error} is a short
 * machine-readable code ({@code not_found}, {@code bad_request}, {@code conflict}, ...), {@code detail} a sentence
 * for people; neither may carry homeowner data or secrets.
 */
public final class ApiProblem extends RuntimeException {

    private final int status;
    private final String error;

    public ApiProblem(int status, String error, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.error = error;
    }

    public static ApiProblem badRequest(String detail) {
        return new ApiProblem(400, "bad_request", detail);
    }

    public static ApiProblem notFound(String what, Object id) {
        return new ApiProblem(404, "not_found", "no " + what + " " + id);
    }

    public static ApiProblem conflict(String detail) {
        return new ApiProblem(409, "conflict", detail);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public String detail() {
        return getMessage();
    }
}
