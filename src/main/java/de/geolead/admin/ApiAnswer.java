package de.geolead.admin;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The operations API's answer to a call of its direct: route from the admin page: the HTTP status it would have
 * answered and the body (the record or map of a success), or for a refusal its {@code error} code and
 * {@code detail} sentence ({@code {error, detail}} of de.geolead.api.ApiErrors).
 */
public record ApiAnswer(int status, Object body, String error, String detail) {

    public boolean ok() {
        return status < 400;
    }

    /** From a route's reply: {@code status} null = 200; a refusal's body is the {error, detail} JSON text. */
    static ApiAnswer of(Integer status, Object body) {
        int code = status == null ? 200 : status;
        if (code < 400) {
            return new ApiAnswer(code, body, null, null);
        }
        String error = "error";
        String detail = "Die API hat die Anfrage abgelehnt (" + code + ").";
        try {
            JsonElement json = JsonParser.parseString(body == null ? "" : body.toString());
            if (json.isJsonObject()) {
                JsonObject object = json.getAsJsonObject();
                error = object.has("error") ? object.get("error").getAsString() : error;
                detail = object.has("detail") ? object.get("detail").getAsString() : detail;
            }
        } catch (RuntimeException e) {
            // not the {error, detail} body: keep the generic sentence
        }
        return new ApiAnswer(code, null, error, detail);
    }
}
