package de.geolead.admin;

import de.geolead.api.Requests;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what the browser sent to the admin page: form fields (the body platform-http makes of an
 * {@code application/x-www-form-urlencoded} post is a map), the lead search's query string and the id in a path,
 * and turns forms into the API's request bodies ({@link Requests}). Only bad input the request record cannot carry
 * (a cap that is not a whole number) is refused here; everything else is the API's to judge.
 */
public final class AdminForms {

    /** The lead search's query parameters the page passes on to GET /api/leads. */
    public record LeadSearch(String status, String plz, String from, String to, String cursor) {
    }

    /** A field of a posted form, or null; the first value if the field came more than once. */
    public static String field(Object form, String name) {
        if (!(form instanceof Map<?, ?> fields)) {
            return null;
        }
        Object value = fields.get(name);
        if (value instanceof List<?> values) {
            value = values.isEmpty() ? null : values.get(0);
        }
        return value == null ? null : value.toString();
    }

    /** The lead search from the raw query string: blank fields are left out (null), a repeated one counts once. */
    public LeadSearch leadSearch(String rawQuery) {
        Map<String, String> query = query(rawQuery);
        return new LeadSearch(query.get("status"), query.get("plz"), query.get("from"), query.get("to"), query.get("cursor"));
    }

    /** The id in {@code /admin/<section>/<id>[/…]}: digits only (the API judges whether it exists), else 400. */
    public String pathId(String path) {
        String[] parts = path == null ? new String[0] : path.split("/");
        // "", "admin", section, id
        if (parts.length < 4 || !parts[3].matches("[0-9]{1,18}")) {
            throw AdminRefusal.badRequest("Die Adresse nennt keine gültige Nummer.");
        }
        return parts[3];
    }

    public Requests.Pause pause(Object form) {
        return new Requests.Pause(blankToNull(field(form, "until")));
    }

    /** Blank = no cap (null); else a whole number (the API checks its range). */
    public Requests.Cap cap(Object form) {
        String monthly = blankToNull(field(form, "monthly"));
        if (monthly == null) {
            return new Requests.Cap(null);
        }
        try {
            return new Requests.Cap(Integer.valueOf(monthly));
        } catch (NumberFormatException e) {
            throw AdminRefusal.badRequest("Das Monatslimit muss eine ganze Zahl sein (leer = kein Limit).");
        }
    }

    /** Approve or reject: {@code force} is a checkbox (present = true), {@code note} optional. */
    public Requests.Decision decision(Object form) {
        String force = field(form, "force");
        return new Requests.Decision(force != null && !force.isBlank() && !"false".equalsIgnoreCase(force),
                blankToNull(field(form, "note")));
    }

    private static Map<String, String> query(String rawQuery) {
        Map<String, String> values = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return values;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = blankToNull(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            if (value != null) {
                values.putIfAbsent(name, value);
            }
        }
        return values;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw AdminRefusal.badRequest("Die Suchanfrage ist nicht lesbar.");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
