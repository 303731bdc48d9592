package de.geolead.returns;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.MustacheFactory;
import com.github.mustachejava.resolver.ClasspathResolver;
import de.geolead.api.ApiProblem;

import java.io.StringWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's side of a return: the small German HTML pages behind the signed link {@code /r/<token>}
 * (routes/agent-returns.camel.yaml), rendered from templates/returns/ (Mustache, every value HTML-escaped, no script).
 * GET shows the form (lead number, PLZ and mail date, never homeowner data); POST (form-urlencoded {@code reason},
 * {@code note}) files the return through {@link ReturnDesk} and thanks the agent. The token in the path is the
 * capability: no login and no cookie, so a cross-site post cannot act without knowing the token.
 *
 * <p>Answers: invalid or tampered token 400 "Dieser Link ist ungültig", expired 410, already filed 409 with the date,
 * a bad reason or note the form again (400) with the message, links off 404, a body above {@value #MAX_BODY} bytes 413.
 */
public class ReturnLinkPages {

    /** The largest form body read: a reason and a note of 1000 characters, URL-encoded. */
    static final int MAX_BODY = 16 * 1024;
    static final String FORM = "return-form.html.mustache";
    static final String DONE = "return-done.html.mustache";
    static final String MESSAGE = "return-message.html.mustache";

    /** A page to answer: status, HTML, and the return it filed (null if none). */
    public record Page(int status, String html, ReturnView filed) {
    }

    /** A refusal shown as a German page with its status. */
    public static final class LinkProblem extends RuntimeException {
        private final int status;
        private final String title;

        public LinkProblem(int status, String title, String text) {
            super(text, null, false, false);
            this.status = status;
            this.title = title;
        }

        public int status() {
            return status;
        }
    }

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("dd.MM.yyyy", Locale.GERMANY);
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("dd.MM.yyyy, HH:mm 'Uhr'", Locale.GERMANY);

    private final ReturnLinks links;
    private final ReturnDesk desk;
    private final ZoneId zone;
    private final MustacheFactory templates = new DefaultMustacheFactory(new ClasspathResolver("templates/returns"));

    public ReturnLinkPages(ReturnLinks links, ReturnDesk desk, ZoneId zone) {
        this.links = links;
        this.desk = desk;
        this.zone = zone;
    }

    /**
     * The answer to a GET (the form) or POST (filing) of {@code /r/<token>}; {@code body} is the form as platform-http
     * hands it over: a map of its fields, or the raw form-urlencoded text.
     */
    public Page answer(String method, String token, Object body) {
        ReturnLinks.Claims claims = claims(token);
        ReturnDesk.LinkFacts facts = facts(claims);
        if (facts.alreadyFiledAt() != null) {
            throw alreadyFiled(facts.alreadyFiledAt());
        }
        if (!"POST".equalsIgnoreCase(method)) {
            return new Page(200, form(token, claims, facts, null, null, null), null);
        }
        Map<String, String> form = fields(body);
        if (form.values().stream().mapToInt(String::length).sum() > MAX_BODY) {
            throw new LinkProblem(413, "Zu viele Angaben", "Die Bemerkung ist zu lang. Bitte kürzen Sie sie auf höchstens "
                    + ReturnDesk.MAX_NOTE + " Zeichen.");
        }
        String reason = form.get("reason");
        String note = form.get("note");
        try {
            ReturnView filed = desk.fileByLink(claims, reason, note);
            Map<String, Object> model = new HashMap<>();
            model.put("leadId", filed.leadId());
            model.put("returnId", filed.id());
            model.put("reasonLabel", ReturnReasons.LABELS.get(filed.reason()));
            model.put("filedAt", DATE_TIME.withZone(zone).format(Instant.parse(filed.filedAt())));
            return new Page(200, render(DONE, model), filed);
        } catch (ApiProblem problem) {
            if (problem.status() == 400) {
                return new Page(400, form(token, claims, facts, reason, note, germanInputMessage(problem)), null);
            }
            if ("already_filed".equals(problem.error())) {
                throw alreadyFiled(desk.linkFacts(claims).alreadyFiledAt());
            }
            if ("return_window_closed".equals(problem.error())) {
                throw expired();
            }
            if (problem.status() == 409) {
                throw new LinkProblem(409, "Reklamation nicht möglich",
                        "Dieser Lead kann über diesen Link nicht reklamiert werden. Bitte wenden Sie sich an uns.");
            }
            throw invalid();
        }
    }

    /** The page for a refusal or failure (the route configuration return-link-errors). */
    public Page problem(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof LinkProblem problem) {
                return new Page(problem.status, message(problem.title, problem.getMessage()), null);
            }
        }
        return new Page(500, message("Fehler", "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal."), null);
    }

    private ReturnLinks.Claims claims(String token) {
        if (!links.enabled()) {
            throw new LinkProblem(404, "Nicht gefunden", "Diese Seite gibt es nicht.");
        }
        ReturnLinks.Checked checked = links.check(token);
        return switch (checked.verdict()) {
            case VALID -> checked.claims();
            case EXPIRED -> throw expired();
            case INVALID -> throw invalid();
        };
    }

    private ReturnDesk.LinkFacts facts(ReturnLinks.Claims claims) {
        try {
            return desk.linkFacts(claims);
        } catch (ApiProblem problem) {
            throw invalid();
        }
    }

    private String form(String token, ReturnLinks.Claims claims, ReturnDesk.LinkFacts facts, String reason, String note,
                        String message) {
        Map<String, Object> model = new HashMap<>();
        model.put("leadId", facts.leadId());
        model.put("plz", facts.plz());
        model.put("mailDate", facts.mailedAt() == null ? null : DATE.withZone(zone).format(facts.mailedAt()));
        model.put("until", DATE_TIME.withZone(zone).format(claims.expiry()));
        model.put("action", "/r/" + token);
        model.put("message", message);
        model.put("note", note == null ? "" : note);
        model.put("maxNote", ReturnDesk.MAX_NOTE);
        List<Map<String, Object>> reasons = new ArrayList<>();
        ReturnReasons.LABELS.forEach((code, label) -> reasons.add(Map.of("code", code, "label", label, "selected", code.equals(reason))));
        model.put("reasons", reasons);
        return render(FORM, model);
    }

    private static String germanInputMessage(ApiProblem problem) {
        String detail = problem.detail();
        if (detail.startsWith("reason")) {
            return "Bitte wählen Sie einen Grund.";
        }
        if (detail.startsWith("a note is required")) {
            return "Bitte beschreiben Sie bei „Sonstiges“ den Grund in der Bemerkung.";
        }
        if (detail.startsWith("note must be at most")) {
            return "Die Bemerkung ist zu lang (höchstens " + ReturnDesk.MAX_NOTE + " Zeichen).";
        }
        return "Die Bemerkung enthält unzulässige Zeichen.";
    }

    private LinkProblem alreadyFiled(Instant at) {
        return new LinkProblem(409, "Bereits reklamiert", "Diese Reklamation wurde bereits am "
                + DATE_TIME.withZone(zone).format(at) + " eingereicht.");
    }

    private static LinkProblem expired() {
        return new LinkProblem(410, "Link abgelaufen", "Dieser Link ist abgelaufen: die Frist für eine Reklamation ist vorbei.");
    }

    private static LinkProblem invalid() {
        return new LinkProblem(400, "Link ungültig", "Dieser Link ist ungültig.");
    }

    private String message(String title, String text) {
        return render(MESSAGE, Map.of("title", title, "text", text));
    }

    private String render(String template, Map<String, Object> model) {
        StringWriter out = new StringWriter();
        templates.compile(template).execute(out, model);
        return out.toString();
    }

    /** The form's fields from a map (first value of a repeated one) or from form-urlencoded text. */
    static Map<String, String> fields(Object body) {
        if (body instanceof Map<?, ?> map) {
            Map<String, String> fields = new HashMap<>();
            map.forEach((name, value) -> {
                Object first = value instanceof List<?> list ? (list.isEmpty() ? null : list.get(0)) : value;
                if (name != null && first != null) {
                    fields.put(name.toString(), first.toString());
                }
            });
            return fields;
        }
        return form(body == null ? null : body.toString());
    }

    /** The fields of a form-urlencoded body (first value wins); a malformed encoding counts as no field. */
    static Map<String, String> form(String body) {
        Map<String, String> fields = new HashMap<>();
        if (body == null || body.isEmpty()) {
            return fields;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                fields.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                // a broken %-escape: the field is left out
            }
        }
        return fields;
    }
}
