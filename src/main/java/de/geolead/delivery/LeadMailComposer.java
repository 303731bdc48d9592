package de.geolead.delivery;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.MustacheFactory;
import com.github.mustachejava.MustacheNotFoundException;
import com.github.mustachejava.MustacheResolver;
import com.github.mustachejava.resolver.ClasspathResolver;
import com.github.mustachejava.resolver.FileSystemResolver;

/**
 * Renders the lead mail for one agent from three Mustache templates:
 * {@value #SUBJECT_TEMPLATE}, {@value #HTML_TEMPLATE} and {@value #TEXT_TEMPLATE}.
 *
 * <p>Values the templates can use:
 * <ul>
 *   <li>{@code leadId plz city agentName attachmentName}</li>
 *   <li>{@code roleOnly roleHeadStart roleFollower} – exactly one is true; a head start without
 *       {@code exclusiveUntil} or without other agents counts as {@code roleOnly}</li>
 *   <li>{@code exclusiveUntil sharedSince} – formatted "dd.MM.yyyy, HH:mm Uhr", empty when not set;
 *       {@code otherAgents} and {@code oneOtherAgent} (true when it is exactly 1)</li>
 *   <li>body templates only: {@code lead.name lead.street lead.plzCity lead.phone lead.email
 *       lead.propertyType lead.livingArea lead.comment} – absent when the contact lacks them</li>
 *   <li>body templates only: {@code returnLink} (the signed return link, absent when links are off) and
 *       {@code returnUntil} (when it stops working, formatted like the other dates)</li>
 * </ul>
 * The subject template never sees the {@code lead} values, so it cannot leak homeowner data.
 *
 * <p>The HTML template escapes {@code {{value}}} for HTML; the subject and text templates
 * write values as they are.
 */
public final class LeadMailComposer {

    public static final String SUBJECT_TEMPLATE = "lead-mail-subject.mustache";
    public static final String HTML_TEMPLATE = "lead-mail.html.mustache";
    public static final String TEXT_TEMPLATE = "lead-mail.txt.mustache";

    /** Where the packaged templates live inside the jar. */
    static final String CLASSPATH_ROOT = "templates/mail";

    private static final DateTimeFormatter GERMAN_DATE_TIME =
            DateTimeFormatter.ofPattern("dd.MM.yyyy, HH:mm 'Uhr'", Locale.GERMANY);

    private final Path templatesDir;
    private final DateTimeFormatter dateFormat;
    /** The packaged templates never change at runtime, so one compiled set serves all mails. */
    private final Templates packaged = new Templates(new ClasspathResolver(CLASSPATH_ROOT),
            "classpath:" + CLASSPATH_ROOT + "/");

    /**
     * @param templatesDir a folder with the templates (the integration team edits them without
     *                     recompiling; read on every compose so edits apply at once); null or missing
     *                     folder → the packaged classpath:templates/mail/
     * @param zone         the time zone the dates in the mail are shown in
     */
    public LeadMailComposer(Path templatesDir, ZoneId zone) {
        this.templatesDir = templatesDir;
        this.dateFormat = GERMAN_DATE_TIME.withZone(Objects.requireNonNull(zone, "zone"));
    }

    /**
     * Renders subject, HTML and text for one agent.
     *
     * @throws IllegalStateException if a template is missing or broken; the message names the file
     */
    public LeadMail compose(MailFacts facts) {
        return compose(facts, null);
    }

    /**
     * Renders subject, HTML and text for one agent, with the return link in the bodies (null: none).
     *
     * @throws IllegalStateException if a template is missing or broken; the message names the file
     */
    public LeadMail compose(MailFacts facts, ReturnLink returnLink) {
        Templates templates = currentTemplates();
        String attachmentName = "Lead-" + facts.plz() + "-" + facts.leadId() + ".pdf";

        Map<String, Object> subjectModel = commonValues(facts, attachmentName);
        Map<String, Object> bodyModel = new HashMap<>(subjectModel);
        bodyModel.put("lead", homeownerValues(facts));
        if (returnLink != null) {
            bodyModel.put("returnLink", returnLink.url());
            bodyModel.put("returnUntil", format(returnLink.until()));
        }

        String subject = oneLine(templates.renderText(SUBJECT_TEMPLATE, subjectModel));
        if (subject.isEmpty()) {
            throw new IllegalStateException("Mail template " + templates.describe(SUBJECT_TEMPLATE)
                    + " renders an empty subject");
        }
        String html = templates.renderHtml(HTML_TEMPLATE, bodyModel);
        String text = templates.renderText(TEXT_TEMPLATE, bodyModel);
        return new LeadMail(subject, html, text, attachmentName);
    }

    /** The configured folder, compiled afresh so edits show at once; else the packaged templates. */
    private Templates currentTemplates() {
        if (templatesDir == null || !Files.isDirectory(templatesDir)) {
            return packaged;
        }
        return new Templates(new FileSystemResolver(templatesDir.toFile()), templatesDir + "/");
    }

    /** Lead number, place, agent and timing: everything but the homeowner. */
    private Map<String, Object> commonValues(MailFacts facts, String attachmentName) {
        Map<String, Object> values = new HashMap<>();
        values.put("leadId", facts.leadId());
        values.put("plz", facts.plz());
        values.put("city", blankToEmpty(facts.city()));
        values.put("agentName", blankToEmpty(facts.agentName()));
        values.put("attachmentName", attachmentName);
        // a head start with nobody following is, for the agent, a lead of their own
        boolean headStart = MailFacts.HEAD_START.equals(facts.role())
                && facts.exclusiveUntil() != null && facts.otherAgents() > 0;
        boolean follower = MailFacts.FOLLOWER.equals(facts.role());
        values.put("roleOnly", !headStart && !follower);
        values.put("roleHeadStart", headStart);
        values.put("roleFollower", follower);
        values.put("exclusiveUntil", format(facts.exclusiveUntil()));
        values.put("sharedSince", format(facts.sharedSince()));
        values.put("otherAgents", facts.otherAgents());
        values.put("oneOtherAgent", facts.otherAgents() == 1);
        return values;
    }

    /** The homeowner's key fields under template-friendly names; blank fields are left out. */
    private static Map<String, String> homeownerValues(MailFacts facts) {
        Map<String, String> contact = facts.leadFields();
        Map<String, String> values = new HashMap<>();
        String firstAndLastName = join(field(contact, "vorname"), field(contact, "nachname"));
        if (!firstAndLastName.isEmpty()) {
            putIfPresent(values, "name", join(field(contact, "anrede"), firstAndLastName));
        }
        putIfPresent(values, "street", field(contact, "strasse"));
        String plz = field(contact, "plz").isEmpty() ? facts.plz() : field(contact, "plz");
        String city = field(contact, "ort").isEmpty() ? blankToEmpty(facts.city()) : field(contact, "ort");
        putIfPresent(values, "plzCity", join(plz, city));
        putIfPresent(values, "phone", field(contact, "$phone"));
        putIfPresent(values, "email", field(contact, "email"));
        putIfPresent(values, "propertyType", field(contact, "objektart"));
        putIfPresent(values, "livingArea", field(contact, "wohnflaeche"));
        putIfPresent(values, "comment", field(contact, "$comment"));
        return values;
    }

    private String format(Instant instant) {
        return instant == null ? "" : dateFormat.format(instant);
    }

    private static String field(Map<String, String> contact, String key) {
        return blankToEmpty(contact.get(key));
    }

    private static void putIfPresent(Map<String, String> values, String key, String value) {
        if (!value.isEmpty()) {
            values.put(key, value);
        }
    }

    private static String join(String... parts) {
        return Stream.of(parts).filter(part -> !part.isEmpty()).collect(Collectors.joining(" "));
    }

    private static String blankToEmpty(String value) {
        return value == null ? "" : value.strip();
    }

    private static String oneLine(String value) {
        return value.strip().replaceAll("\\s+", " ");
    }

    /** The three templates of one location, compiled by an HTML-escaping and a plain factory. */
    private static final class Templates {
        private final MustacheFactory htmlFactory;
        private final MustacheFactory textFactory;
        private final String location;

        Templates(MustacheResolver resolver, String location) {
            this.htmlFactory = new DefaultMustacheFactory(resolver);
            this.textFactory = new PlainTextMustacheFactory(resolver);
            this.location = location;
        }

        String renderHtml(String name, Object model) {
            return render(htmlFactory, name, model);
        }

        String renderText(String name, Object model) {
            return render(textFactory, name, model);
        }

        String describe(String name) {
            return location + name;
        }

        private String render(MustacheFactory factory, String name, Object model) {
            Mustache template;
            try {
                template = factory.compile(name);
            } catch (MustacheNotFoundException e) {
                throw new IllegalStateException("Mail template " + describe(name) + " not found", e);
            } catch (MustacheException e) {
                throw new IllegalStateException("Mail template " + describe(name) + " is broken: " + e.getMessage(), e);
            }
            StringWriter out = new StringWriter();
            try {
                template.execute(out, model);
            } catch (MustacheException e) {
                throw new IllegalStateException("Mail template " + describe(name) + " failed: " + e.getMessage(), e);
            }
            return out.toString();
        }
    }

    /** Writes {@code {{value}}} as it is: for the subject and the plain-text body. */
    private static final class PlainTextMustacheFactory extends DefaultMustacheFactory {
        PlainTextMustacheFactory(MustacheResolver resolver) {
            super(resolver);
        }

        @Override
        public void encode(String value, Writer writer) {
            try {
                writer.write(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
