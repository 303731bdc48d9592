package de.geolead.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The admin page's HTML: Mustache templates in {@code templates/admin/} (the mail's template library; packaged in
 * the jar) filled from the operations API's answers, which are converted to maps. Every value is written with
 * {@code {{ }}}, which escapes HTML; the templates never use {@code {{{ }}}}. Times (ISO-8601 from the API) are shown
 * as "dd.MM.yyyy HH:mm" in GEOLEAD_DELIVERY_ZONE. Labels are German, for the seller's staff. Viewers get the same
 * pages without the forms that write ({@code canWrite}).
 */
public final class AdminViews {

    static final String CLASSPATH_ROOT = "templates/admin";
    private static final Set<String> TIMES = Set.of("createdAt", "updatedAt", "scheduledFor", "sentAt", "at", "filedAt",
            "decidedAt", "pausedUntil", "lastPaymentDate", "currentPeriodEnd");
    static final List<String> LEAD_STATUSES = List.of("pending", "distributed", "unassigned", "expired", "parked",
            "unroutable", "pdf_missing", "invalid", "no_consent");
    private static final Map<String, String> REASONS = Map.of(
            "no_request", "Keine Anfrage gestellt",
            "unreachable", "Nicht erreichbar",
            "wrong_data", "Falsche Daten",
            "duplicate", "Doppelter Lead",
            "wrong_region", "Falsche Region",
            "other", "Sonstiges");

    /** What the page says after a successful action, by the action's name in the route. */
    static final Map<String, String> DONE = Map.of(
            "agent-paused", "Makler %s ist pausiert.",
            "agent-unpaused", "Die Pause von Makler %s ist beendet.",
            "agent-capped", "Das Monatslimit von Makler %s ist gespeichert.",
            "return-approved", "Reklamation %s ist genehmigt.",
            "return-rejected", "Reklamation %s ist abgelehnt.");

    private final MustacheFactory templates = new DefaultMustacheFactory(CLASSPATH_ROOT);
    private final ObjectMapper json = JsonMapper.builder().findAndAddModules().build();
    private final DateTimeFormatter timeFormat;

    public AdminViews(ZoneId zone) {
        this.timeFormat = DateTimeFormatter.ofPattern("dd.MM.yyyy HH:mm", Locale.GERMANY).withZone(zone);
    }

    // ------------------------------------------------------------------ pages

    /** The login page (no session); {@code message} null = none. */
    public AdminAnswer loginPage(String message) {
        Map<String, Object> model = new HashMap<>();
        model.put("title", "Anmelden");
        model.put("message", message);
        return AdminAnswer.page(200, render("login", model));
    }

    /** The start page: who is logged in (GET /api/me) and the lead search. */
    public AdminAnswer home(AdminSession session, ApiAnswer me) {
        Map<String, Object> model = common(session, "Geolead Verwaltung", "leads");
        if (me.ok()) {
            model.put("me", map(me.body()));
        } else {
            model.put("error", me.detail());
        }
        model.put("search", searchForm(new AdminForms.LeadSearch(null, null, null, null, null)));
        return AdminAnswer.page(me.ok() ? 200 : me.status(), render("home", model));
    }

    /** GET /admin/leads: the search form with what was searched, the hits and a link to the next page. */
    public AdminAnswer leads(AdminSession session, AdminForms.LeadSearch search, ApiAnswer answer) {
        Map<String, Object> model = common(session, "Leads", "leads");
        model.put("search", searchForm(search));
        if (!answer.ok()) {
            model.put("error", answer.detail());
            return AdminAnswer.page(answer.status(), render("leads", model));
        }
        Map<String, Object> page = map(answer.body());
        List<Map<String, Object>> items = list(page.get("items"));
        items.forEach(item -> item.put("href", "/admin/leads/" + item.get("id")));
        model.put("items", items);
        model.put("hasItems", !items.isEmpty());
        model.put("empty", items.isEmpty());
        Object next = page.get("nextCursor");
        if (next != null) {
            model.put("nextHref", "/admin/leads?" + query(new AdminForms.LeadSearch(search.status(), search.plz(),
                    search.from(), search.to(), next.toString())));
        }
        return AdminAnswer.page(200, render("leads", model));
    }

    /** GET /admin/leads/{id}: the lead's fields, its mails, returns and timeline (in the API's order). */
    public AdminAnswer lead(AdminSession session, ApiAnswer answer) {
        if (!answer.ok()) {
            return message(session, answer.status(), "Lead", answer.detail(), "/admin/leads");
        }
        Map<String, Object> model = common(session, "Lead", "leads");
        Map<String, Object> lead = map(answer.body());
        List<Map<String, Object>> timeline = list(lead.get("timeline"));
        model.put("lead", lead);
        model.put("mails", list(lead.get("mails")));
        model.put("returns", list(lead.get("returns")));
        model.put("hasMails", !list(lead.get("mails")).isEmpty());
        model.put("hasReturns", !list(lead.get("returns")).isEmpty());
        model.put("timeline", timeline);
        // erased by the retention or at the homeowner's request (leads.erased_reason)
        model.put("erasedWhy", "request".equals(lead.get("erasedReason")) ? "Löschantrag" : "Aufbewahrungsfrist abgelaufen");
        Object contact = lead.get("contact");
        if (contact instanceof Map<?, ?> fields) {
            List<Map<String, Object>> rows = new ArrayList<>();
            fields.forEach((key, value) -> rows.add(Map.of("name", String.valueOf(key), "value", String.valueOf(value))));
            model.put("contact", rows);
            model.put("hasContact", !rows.isEmpty());
        }
        // the contact cannot be read (its key is not in GEOLEAD_DATA_KEYS): the reason, ids only
        model.put("contactProblem", lead.get("contactProblem"));
        return AdminAnswer.page(200, render("lead", model));
    }

    /** GET /admin/agents: every agent with pause and cap (forms for admins). */
    public AdminAnswer agents(AdminSession session, ApiAnswer answer) {
        if (!answer.ok()) {
            return message(session, answer.status(), "Makler", answer.detail(), "/admin/");
        }
        Map<String, Object> model = common(session, "Makler", "agents");
        List<Map<String, Object>> items = list(map(answer.body()).get("items"));
        for (Map<String, Object> agent : items) {
            agent.put("capText", agent.get("monthlyCap") == null ? "kein Limit" : agent.get("monthlyCap"));
            agent.put("paused", agent.get("pausedUntil") != null);
        }
        model.put("items", items);
        model.put("hasItems", !items.isEmpty());
        model.put("empty", items.isEmpty());
        return AdminAnswer.page(200, render("agents", model));
    }

    /** GET /admin/returns: the open returns with approve (optionally forced) and reject (forms for admins). */
    public AdminAnswer returns(AdminSession session, ApiAnswer answer) {
        if (!answer.ok()) {
            return message(session, answer.status(), "Reklamationen", answer.detail(), "/admin/");
        }
        Map<String, Object> model = common(session, "Offene Reklamationen", "returns");
        List<Map<String, Object>> items = list(map(answer.body()).get("items"));
        model.put("items", items);
        model.put("empty", items.isEmpty());
        return AdminAnswer.page(200, render("returns", model));
    }

    /**
     * After a form post's API call: success = a message saying what was done ({@code action} of {@link #DONE}, with
     * the id) on the next page and a redirect to {@code back}; a refusal = a page with the API's detail and its
     * status (400, 403, 404, 409, ...).
     */
    public AdminAnswer afterAction(AdminSession session, ApiAnswer answer, String action, String id, String back) {
        if (answer.ok()) {
            session.flash(DONE.getOrDefault(action, "Erledigt: %s").formatted(id));
            return AdminAnswer.redirect(back, null);
        }
        return message(session, answer.status(), "Nicht ausgeführt", answer.detail(), back);
    }

    /** GET → another page of the admin page. */
    public AdminAnswer redirect(String location) {
        return AdminAnswer.redirect(location, null);
    }

    /**
     * A refusal before any API call ({@link AdminRefusal} in {@code failure}'s causes: a bean call wraps it): the
     * login page, or a message page with the status.
     */
    public AdminAnswer refusal(Throwable failure, AdminSession session) {
        AdminRefusal refusal = null;
        for (Throwable cause = failure; cause != null && refusal == null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof AdminRefusal found) {
                refusal = found;
            }
        }
        if (refusal == null) {
            return failure(session);
        }
        if (refusal.showLogin()) {
            AdminAnswer login = loginPage(refusal.getMessage());
            return AdminAnswer.page(refusal.status(), login.body());
        }
        return message(session, refusal.status(), refusal.status() == 403 ? "Abgelehnt" : "Ungültige Eingabe",
                refusal.getMessage(), "/admin/");
    }

    /** Anything else that failed: 500 and a sentence (the log has the cause). */
    public AdminAnswer failure(AdminSession session) {
        return message(session, 500, "Fehler", "Die Seite konnte nicht geladen werden; das Log hat eine Zeile dazu.", "/admin/");
    }

    /** The style sheet (a file of its own: the Content-Security-Policy allows no inline styles). */
    public AdminAnswer css() {
        try (InputStream in = AdminViews.class.getClassLoader().getResourceAsStream(CLASSPATH_ROOT + "/admin.css")) {
            if (in == null) {
                throw new IllegalStateException("classpath:" + CLASSPATH_ROOT + "/admin.css is missing");
            }
            return new AdminAnswer(200, "text/css; charset=utf-8", new String(in.readAllBytes(), StandardCharsets.UTF_8), null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ parts

    private AdminAnswer message(AdminSession session, int status, String title, String text, String back) {
        Map<String, Object> model = session == null ? new HashMap<>() : common(session, title, "");
        model.put("title", title);
        model.put("text", text);
        model.put("status", status);
        model.put("back", back);
        return AdminAnswer.page(status, render("message", model));
    }

    /** What every page with a login shows: the user, the CSRF token of its forms, the flash message, the menu. */
    private static Map<String, Object> common(AdminSession session, String title, String section) {
        Map<String, Object> model = new HashMap<>();
        model.put("title", title);
        model.put("user", session.user().name());
        model.put("role", session.user().role());
        model.put("canWrite", session.user().isAdmin());
        model.put("csrf", session.csrf());
        model.put("flash", session.takeFlash());
        model.put("navLeads", "leads".equals(section));
        model.put("navAgents", "agents".equals(section));
        model.put("navReturns", "returns".equals(section));
        return model;
    }

    private static Map<String, Object> searchForm(AdminForms.LeadSearch search) {
        Map<String, Object> form = new HashMap<>();
        form.put("plz", search.plz());
        form.put("from", search.from());
        form.put("to", search.to());
        List<Map<String, Object>> statuses = new ArrayList<>();
        for (String status : LEAD_STATUSES) {
            statuses.add(Map.of("value", status, "selected", status.equals(search.status())));
        }
        form.put("statuses", statuses);
        return form;
    }

    /** The search as a query string (values URL-encoded; Mustache escapes the result for HTML). */
    static String query(AdminForms.LeadSearch search) {
        StringJoiner query = new StringJoiner("&");
        add(query, "status", search.status());
        add(query, "plz", search.plz());
        add(query, "from", search.from());
        add(query, "to", search.to());
        add(query, "cursor", search.cursor());
        return query.toString();
    }

    private static void add(StringJoiner query, String name, String value) {
        if (value != null) {
            query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    /** An API answer as a map for the templates, times formatted, reason codes with their German label. */
    @SuppressWarnings("unchecked")
    Map<String, Object> map(Object body) {
        Object converted = body instanceof Map<?, ?> || body == null ? body : json.convertValue(body, Map.class);
        Map<String, Object> result = new LinkedHashMap<>();
        if (converted instanceof Map<?, ?> values) {
            values.forEach((key, value) -> result.put(String.valueOf(key), view(String.valueOf(key), value)));
        }
        return result;
    }

    private Object view(String key, Object value) {
        if (value instanceof Map<?, ?> || (value != null && !(value instanceof List<?>) && !isPlain(value))) {
            return map(value);
        }
        if (value instanceof List<?> values) {
            List<Object> items = new ArrayList<>();
            values.forEach(item -> items.add(isPlain(item) ? item : map(item)));
            return items;
        }
        if (value instanceof String text && TIMES.contains(key)) {
            return time(text);
        }
        if ("reason".equals(key) && value instanceof String code && REASONS.containsKey(code)) {
            return REASONS.get(code) + " (" + code + ")";
        }
        return value;
    }

    private static boolean isPlain(Object value) {
        return value == null || value instanceof String || value instanceof Number || value instanceof Boolean;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        List<Map<String, Object>> items = new ArrayList<>();
        if (value instanceof List<?> values) {
            values.forEach(item -> items.add(item instanceof Map<?, ?> ? new LinkedHashMap<>((Map<String, Object>) item) : new LinkedHashMap<>()));
        }
        return items;
    }

    /** An ISO instant as "dd.MM.yyyy HH:mm" in the zone; a date or anything else as it came. */
    String time(String iso) {
        try {
            return timeFormat.format(Instant.parse(iso));
        } catch (DateTimeParseException e) {
            try {
                return timeFormat.format(java.time.OffsetDateTime.parse(iso));
            } catch (DateTimeParseException notAnOffsetTime) {
                return iso;
            }
        }
    }

    String render(String template, Map<String, Object> model) {
        Mustache mustache = templates.compile(template + ".mustache");
        StringWriter out = new StringWriter();
        mustache.execute(out, model);
        return out.toString();
    }
}
