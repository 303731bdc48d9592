package de.geolead.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON error answer of the operations API: {@code {"error": code, "detail": sentence}} and its HTTP status. */
public final class ApiErrors {

    private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().create();

    private ApiErrors() {
    }

    /** The status for a failure: an {@link ApiProblem}'s own, 400 for a body that is not the expected JSON, else 500. */
    public static int status(Throwable failure) {
        ApiProblem problem = problem(failure);
        if (problem != null) {
            return problem.status();
        }
        return isBadJson(failure) ? 400 : 500;
    }

    /** The body for a failure; a 500 says nothing of its cause (it is logged). */
    public static String body(Throwable failure) {
        Map<String, String> body = new LinkedHashMap<>();
        ApiProblem problem = problem(failure);
        if (problem != null) {
            body.put("error", problem.error());
            body.put("detail", problem.detail());
        } else if (isBadJson(failure)) {
            body.put("error", "bad_request");
            body.put("detail", "the request body is not the expected JSON");
        } else {
            body.put("error", "internal");
            body.put("detail", "the request failed on the server; its log has a line for it");
        }
        return JSON.toJson(body);
    }

    /** The {@link ApiProblem} in {@code failure}'s causes (a bean call wraps it), or null. */
    static ApiProblem problem(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof ApiProblem problem) {
                return problem;
            }
        }
        return null;
    }

    private static boolean isBadJson(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            String name = cause.getClass().getName();
            if (name.startsWith("com.fasterxml.jackson.") || name.startsWith("com.google.gson.")) {
                return true;
            }
        }
        return false;
    }
}
