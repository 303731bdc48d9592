package de.geolead.config;

import de.geolead.billing.TrustedProxies;
import de.geolead.console.ConsoleSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The effective configuration, read once at startup from the property keys of
 * {@code application.properties} (each of which names its environment variable).
 * Plain Java: built from any key lookup, so it is testable without Camel.
 */
public final class GeoleadSettings {

    /** Property key → environment variable, in the order the startup line prints them. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();
    static {
        KEYS.put("geolead.data.dir", "GEOLEAD_DATA_DIR");
        KEYS.put("geolead.db.url", "GEOLEAD_DB_URL");
        KEYS.put("geolead.db.user", "GEOLEAD_DB_USER");
        KEYS.put("geolead.db.password", "GEOLEAD_DB_PASSWORD");
        KEYS.put("geolead.db.pool.size", "GEOLEAD_DB_POOL_SIZE");
        KEYS.put("geolead.broker.url", "GEOLEAD_BROKER_URL");
        KEYS.put("geolead.broker.user", "GEOLEAD_BROKER_USER");
        KEYS.put("geolead.broker.password", "GEOLEAD_BROKER_PASSWORD");
        KEYS.put("geolead.broker.redelivery.delay", "GEOLEAD_BROKER_REDELIVERY_DELAY");
        KEYS.put("geolead.broker.delivery.attempts", "GEOLEAD_BROKER_DELIVERY_ATTEMPTS");
        KEYS.put("geolead.dev.mode", "GEOLEAD_DEV_MODE");
        KEYS.put("geolead.http.port", "GEOLEAD_HTTP_PORT");
        KEYS.put("geolead.http.bind", "GEOLEAD_HTTP_BIND");
        KEYS.put("dialfire.base.url", "DIALFIRE_BASE_URL");
        KEYS.put("dialfire.campaign.id", "DIALFIRE_CAMPAIGN_ID");
        KEYS.put("dialfire.campaign.token", "DIALFIRE_CAMPAIGN_TOKEN");
        KEYS.put("dialfire.tasks", "DIALFIRE_TASKS");
        KEYS.put("dialfire.plz.field", "DIALFIRE_PLZ_FIELD");
        KEYS.put("dialfire.pdf.field", "DIALFIRE_PDF_FIELD");
        KEYS.put("dialfire.pdf.hosts", "DIALFIRE_PDF_HOSTS");
        KEYS.put("geolead.import.cron", "GEOLEAD_IMPORT_CRON");
        KEYS.put("geolead.import.lookback", "GEOLEAD_IMPORT_LOOKBACK");
        KEYS.put("geolead.import.overlap", "GEOLEAD_IMPORT_OVERLAP");
        KEYS.put("geolead.import.rescan", "GEOLEAD_IMPORT_RESCAN");
        KEYS.put("geolead.import.rescan.every", "GEOLEAD_IMPORT_RESCAN_EVERY");
        KEYS.put("geolead.import.page.size", "GEOLEAD_IMPORT_PAGE_SIZE");
        KEYS.put("geolead.import.workers", "GEOLEAD_IMPORT_WORKERS");
        KEYS.put("geolead.import.http.attempts", "GEOLEAD_IMPORT_HTTP_ATTEMPTS");
        KEYS.put("geolead.import.http.backoff", "GEOLEAD_IMPORT_HTTP_BACKOFF");
        KEYS.put("geolead.import.http.timeout", "GEOLEAD_IMPORT_HTTP_TIMEOUT");
        KEYS.put("geolead.import.pdf.max.bytes", "GEOLEAD_IMPORT_PDF_MAX_BYTES");
        KEYS.put("geolead.pdf.retry.for", "GEOLEAD_PDF_RETRY_FOR");
        KEYS.put("geolead.head.start", "GEOLEAD_HEAD_START");
        KEYS.put("geolead.delay.mode", "GEOLEAD_DELAY_MODE");
        KEYS.put("geolead.unassigned.retry", "GEOLEAD_UNASSIGNED_RETRY");
        KEYS.put("geolead.delivery.window", "GEOLEAD_DELIVERY_WINDOW");
        KEYS.put("geolead.delivery.zone", "GEOLEAD_DELIVERY_ZONE");
        KEYS.put("geolead.distribution.consumers", "GEOLEAD_DISTRIBUTION_CONSUMERS");
        KEYS.put("geolead.delivery.consumers", "GEOLEAD_DELIVERY_CONSUMERS");
        KEYS.put("geolead.mail.backoff", "GEOLEAD_MAIL_BACKOFF");
        KEYS.put("geolead.mail.max.backoff", "GEOLEAD_MAIL_MAX_BACKOFF");
        KEYS.put("geolead.mail.retry.for", "GEOLEAD_MAIL_RETRY_FOR");
        KEYS.put("geolead.mail.lease", "GEOLEAD_MAIL_LEASE");
        KEYS.put("geolead.templates.dir", "GEOLEAD_TEMPLATES_DIR");
        KEYS.put("geolead.sweep.cron", "GEOLEAD_SWEEP_CRON");
        KEYS.put("geolead.sweep.grace", "GEOLEAD_SWEEP_GRACE");
        KEYS.put("geolead.instance.id", "GEOLEAD_INSTANCE_ID");
        KEYS.put("geolead.scheduler.checkin", "GEOLEAD_SCHEDULER_CHECKIN");
        KEYS.put("smtp.host", "SMTP_HOST");
        KEYS.put("smtp.port", "SMTP_PORT");
        KEYS.put("smtp.user", "SMTP_USER");
        KEYS.put("smtp.password", "SMTP_PASSWORD");
        KEYS.put("smtp.from", "SMTP_FROM");
        KEYS.put("smtp.starttls", "SMTP_STARTTLS");
        KEYS.put("geolead.smtp.idle.timeout", "GEOLEAD_SMTP_IDLE_TIMEOUT");
        KEYS.put("stripe.api.key", "STRIPE_API_KEY");
        KEYS.put("stripe.webhook.secret", "STRIPE_WEBHOOK_SECRET");
        KEYS.put("stripe.api.base", "STRIPE_API_BASE");
        KEYS.put("geolead.stripe.retries", "GEOLEAD_STRIPE_RETRIES");
        KEYS.put("geolead.stripe.backoff", "GEOLEAD_STRIPE_BACKOFF");
        KEYS.put("geolead.stripe.event.retry.for", "GEOLEAD_STRIPE_EVENT_RETRY_FOR");
        KEYS.put("geolead.payment.check.cron", "GEOLEAD_PAYMENT_CHECK_CRON");
        KEYS.put("geolead.checkout.lookback", "GEOLEAD_CHECKOUT_LOOKBACK");
        KEYS.put("geolead.webhook.rate.limit", "GEOLEAD_WEBHOOK_RATE_LIMIT");
        KEYS.put("geolead.trusted.proxies", "GEOLEAD_TRUSTED_PROXIES");
        KEYS.put("geolead.console.bind", "GEOLEAD_CONSOLE_BIND");
        KEYS.put("geolead.console.port", "GEOLEAD_CONSOLE_PORT");
        KEYS.put("geolead.console.users.file", "GEOLEAD_CONSOLE_USERS_FILE");
        KEYS.put("geolead.console.war", "GEOLEAD_CONSOLE_WAR");
        KEYS.put("geolead.console.admin.write", "GEOLEAD_CONSOLE_ADMIN_WRITE");
        KEYS.put("geolead.api.tokens.file", "GEOLEAD_API_TOKENS_FILE");
        KEYS.put("geolead.admin.session.idle", "GEOLEAD_ADMIN_SESSION_IDLE");
        KEYS.put("geolead.admin.session.max", "GEOLEAD_ADMIN_SESSION_MAX");
        KEYS.put("geolead.return.window", "GEOLEAD_RETURN_WINDOW");
        KEYS.put("geolead.return.max.rate", "GEOLEAD_RETURN_MAX_RATE");
        KEYS.put("geolead.return.credit.cents", "GEOLEAD_RETURN_CREDIT_CENTS");
        KEYS.put("geolead.link.secret", "GEOLEAD_LINK_SECRET");
        KEYS.put("geolead.public.url", "GEOLEAD_PUBLIC_URL");
        KEYS.put("geolead.data.keys", "GEOLEAD_DATA_KEYS");
        KEYS.put("geolead.retention", "GEOLEAD_RETENTION");
        KEYS.put("geolead.retention.cron", "GEOLEAD_RETENTION_CRON");
        KEYS.put("dialfire.consent.field", "DIALFIRE_CONSENT_FIELD");
        KEYS.put("geolead.receipt.key", "GEOLEAD_RECEIPT_KEY");
    }

    private final Map<String, String> values = new LinkedHashMap<>();

    private GeoleadSettings(Function<String, String> lookup) {
        KEYS.keySet().forEach(key -> {
            String value = lookup.apply(key);
            values.put(key, value == null ? "" : value.trim());
        });
    }

    /** Reads every known key through {@code lookup} (null or missing = empty). */
    public static GeoleadSettings from(Function<String, String> lookup) {
        return new GeoleadSettings(lookup);
    }

    public String get(String key) {
        if (!values.containsKey(key)) {
            throw new IllegalArgumentException("Unknown setting " + key);
        }
        return values.get(key);
    }

    private Duration duration(String key) {
        try {
            return Duration.parse(get(key));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(KEYS.get(key) + " must be an ISO-8601 duration such as PT2M, got '" + get(key) + "'");
        }
    }

    private int integer(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(KEYS.get(key) + " must be a whole number, got '" + get(key) + "'");
        }
    }

    public Path dataDir() { return Path.of(get("geolead.data.dir")).toAbsolutePath().normalize(); }
    public String dbUrl() { return get("geolead.db.url"); }
    public String dbUser() { return get("geolead.db.user"); }
    public String dbPassword() { return get("geolead.db.password"); }
    public int dbPoolSize() { return integer("geolead.db.pool.size"); }
    public boolean embeddedDatabase() { return dbUrl().isEmpty(); }
    public String brokerUrl() { return get("geolead.broker.url"); }
    public String brokerUser() { return get("geolead.broker.user"); }
    public String brokerPassword() { return get("geolead.broker.password"); }
    public boolean embeddedBroker() { return brokerUrl().isEmpty(); }
    /** First redelivery delay of the embedded broker (doubled per attempt, at most 1 min). */
    public Duration brokerRedeliveryDelay() { return duration("geolead.broker.redelivery.delay"); }
    /** Deliveries of a message by the embedded broker before it goes to geolead.DLQ. */
    public int brokerDeliveryAttempts() { return Math.max(1, integer("geolead.broker.delivery.attempts")); }
    public boolean devMode() { return Boolean.parseBoolean(get("geolead.dev.mode")); }

    public String dialfireBaseUrl() { return get("dialfire.base.url").replaceAll("/+$", ""); }
    public String dialfireCampaignId() { return get("dialfire.campaign.id"); }
    public String dialfireCampaignToken() { return get("dialfire.campaign.token"); }
    public String dialfirePlzField() { return get("dialfire.plz.field"); }
    public String dialfirePdfField() { return get("dialfire.pdf.field"); }

    /** Host suffixes lead sheets may be fetched from (see {@code PdfSources}); empty = the Dialfire API host. */
    public List<String> dialfirePdfHosts() { return list("dialfire.pdf.hosts"); }

    /** Task-name prefixes that mark a lead as ready; empty = any task. */
    public List<String> dialfireTasks() {
        return list("dialfire.tasks");
    }

    private List<String> list(String key) {
        return Arrays.stream(get(key).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    public Duration importLookback() { return duration("geolead.import.lookback"); }
    public Duration importOverlap() { return duration("geolead.import.overlap"); }
    /** How far back the daily re-scan reads the feed. */
    public Duration importRescan() { return duration("geolead.import.rescan"); }
    /** How often a run is a re-scan. */
    public Duration importRescanEvery() { return duration("geolead.import.rescan.every"); }
    /** Transactions per feed page (Dialfire allows up to 1000). */
    public int importPageSize() { return Math.max(1, Math.min(1000, integer("geolead.import.page.size"))); }
    /** Contacts of a page stored in parallel. */
    public int importWorkers() { return Math.max(1, integer("geolead.import.workers")); }
    public int importHttpAttempts() { return Math.max(1, integer("geolead.import.http.attempts")); }
    public Duration importHttpBackoff() { return duration("geolead.import.http.backoff"); }
    public Duration importHttpTimeout() { return duration("geolead.import.http.timeout"); }
    public int importPdfMaxBytes() { return integer("geolead.import.pdf.max.bytes"); }
    /** How long a lead parked {@code pdf_missing} has its PDF fetched again (transient failures: every run). */
    public Duration pdfRetryFor() { return duration("geolead.pdf.retry.for"); }

    public Duration headStart() { return duration("geolead.head.start"); }
    public String delayMode() { return get("geolead.delay.mode"); }
    public Duration unassignedRetry() { return duration("geolead.unassigned.retry"); }
    public String deliveryWindow() { return get("geolead.delivery.window"); }
    public java.time.ZoneId deliveryZone() { return java.time.ZoneId.of(get("geolead.delivery.zone")); }
    public int distributionConsumers() { return Math.max(1, integer("geolead.distribution.consumers")); }
    public int deliveryConsumers() { return Math.max(1, integer("geolead.delivery.consumers")); }
    /** The wait after a mail's first transiently failed SMTP attempt, doubled per further attempt. */
    public Duration mailBackoff() { return duration("geolead.mail.backoff"); }
    /** The longest wait between two SMTP attempts of a mail. */
    public Duration mailMaxBackoff() { return duration("geolead.mail.max.backoff"); }
    /** How long after it fell due a mail is retried through transient SMTP trouble before it is failed. */
    public Duration mailRetryFor() { return duration("geolead.mail.retry.for"); }
    /** How long a claimed mail (status sending) belongs to its attempt before the sweep may take it back. */
    public Duration mailLease() { return duration("geolead.mail.lease"); }
    /** A folder with the mail templates, or null for the packaged ones. */
    public Path templatesDir() { return optionalPath("geolead.templates.dir"); }
    public Duration sweepGrace() { return duration("geolead.sweep.grace"); }
    /** This instance's id in the Quartz cluster; "AUTO" lets Quartz make one (host name + start time). */
    public String instanceId() { return get("geolead.instance.id").isEmpty() ? "AUTO" : get("geolead.instance.id"); }
    /** How often the scheduler checks in to the cluster; at least 1 s. */
    public Duration schedulerCheckin() {
        Duration checkin = duration("geolead.scheduler.checkin");
        if (checkin.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("GEOLEAD_SCHEDULER_CHECKIN must be at least PT1S, got '" + get("geolead.scheduler.checkin") + "'");
        }
        return checkin;
    }
    public String smtpHost() { return get("smtp.host"); }
    public String smtpUser() { return get("smtp.user"); }
    public String smtpPassword() { return get("smtp.password"); }
    public String smtpFrom() { return get("smtp.from"); }
    public boolean smtpStartTls() { return Boolean.parseBoolean(get("smtp.starttls")); }
    /** How long an unused SMTP connection is kept open for the next mail; zero = one connection per mail. */
    public Duration smtpIdleTimeout() { return duration("geolead.smtp.idle.timeout"); }

    public String stripeApiKey() { return get("stripe.api.key"); }
    public String stripeWebhookSecret() { return get("stripe.webhook.secret"); }
    public String stripeApiBase() { return get("stripe.api.base").replaceAll("/+$", ""); }
    /** Webhook calls a minute per client address; 0 = no limit. */
    public int webhookRateLimit() { return Math.max(0, integer("geolead.webhook.rate.limit")); }
    /** Proxies whose X-Forwarded-For names the webhook's client; empty = none. */
    public TrustedProxies trustedProxies() {
        try {
            return TrustedProxies.parse(get("geolead.trusted.proxies"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(KEYS.get("geolead.trusted.proxies")
                    + " must be comma-separated IP addresses or CIDR ranges such as 172.18.0.0/16 or fd00::/8: " + e.getMessage());
        }
    }
    public int stripeRetries() { return Math.max(0, integer("geolead.stripe.retries")); }
    /** First wait after a Stripe 429, doubled per retry. */
    public Duration stripeBackoff() { return duration("geolead.stripe.backoff"); }
    /** How long after it was received a Stripe event that is not processed yet is taken up again by the sweep. */
    public Duration stripeEventRetryFor() { return duration("geolead.stripe.event.retry.for"); }
    /** How far back the daily payment check lists completed Checkout Sessions. */
    public Duration checkoutLookback() { return duration("geolead.checkout.lookback"); }

    public String consoleBind() { return get("geolead.console.bind"); }
    public int consolePort() { return integer("geolead.console.port"); }
    /** The Hawtio console's users file, or null: no console. */
    public Path consoleUsersFile() { return optionalPath("geolead.console.users.file"); }
    /** The Hawtio war, or null for the one the build puts beside the application. */
    public Path consoleWar() { return optionalPath("geolead.console.war"); }
    /** Whether console users may start, stop, suspend and resume routes (all of them: Hawtio has no per-role rights here). */
    public boolean consoleAdminWrite() { return Boolean.parseBoolean(get("geolead.console.admin.write")); }

    /** The console's part of the settings, as the console takes it. */
    public ConsoleSettings console() {
        return new ConsoleSettings(consoleBind(), consolePort(), consoleUsersFile(), consoleWar(), consoleAdminWrite());
    }

    /** The operations API's tokens file, or null: the API is off. */
    public Path apiTokensFile() { return optionalPath("geolead.api.tokens.file"); }

    /** How long an admin page login may be idle before it ends. */
    public Duration adminSessionIdle() { return positive("geolead.admin.session.idle"); }
    /** How long an admin page login lasts at most, however busy. */
    public Duration adminSessionMax() { return positive("geolead.admin.session.max"); }

    private Duration positive(String key) {
        Duration value = duration(key);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(KEYS.get(key) + " must be a positive ISO-8601 duration such as PT30M, got '" + get(key) + "'");
        }
        return value;
    }
    /** How long after their mail an agent may return a lead (API and link). */
    public Duration returnWindow() { return duration("geolead.return.window"); }
    /** The return rate (last 90 days) above which an approval needs force. */
    public java.math.BigDecimal returnMaxRate() {
        try {
            java.math.BigDecimal rate = new java.math.BigDecimal(get("geolead.return.max.rate"));
            if (rate.signum() < 0) {
                throw new NumberFormatException();
            }
            return rate;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GEOLEAD_RETURN_MAX_RATE must be a decimal number such as 0.2, got '" + get("geolead.return.max.rate") + "'");
        }
    }
    /** The Stripe credit of an approved return, in euro cents; 0 = no credit. */
    public int returnCreditCents() {
        int cents = integer("geolead.return.credit.cents");
        if (cents < 0) {
            throw new IllegalArgumentException("GEOLEAD_RETURN_CREDIT_CENTS must be 0 or more, got " + cents);
        }
        return cents;
    }
    /** The secret the return links are signed with (empty: no links). */
    public String linkSecret() { return get("geolead.link.secret"); }
    /** The public base URL of the return links (empty: no links). */
    public String publicUrl() { return get("geolead.public.url"); }

    private Path optionalPath(String key) {
        return get(key).isEmpty() ? null : Path.of(get(key));
    }

    /** The environment variables the mail delivery needs but that are empty. */
    public List<String> missingSmtpSettings() {
        return missing("smtp.host", "smtp.port", "smtp.from");
    }

    /** The environment variables the Dialfire import needs but that are empty. */
    public List<String> missingDialfireSettings() {
        return missing("dialfire.base.url", "dialfire.campaign.id", "dialfire.campaign.token");
    }

    private List<String> missing(String... keys) {
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            if (get(key).isEmpty()) {
                missing.add(KEYS.get(key));
            }
        }
        return missing;
    }

    /** GEOLEAD_DATA_KEYS as given ({@code keyid:base64key,…}; empty = contact and PDF stored plain); de.geolead.privacy parses it. */
    public String dataKeys() { return get("geolead.data.keys"); }
    /** How long after a lead's last mail or parking its homeowner data is kept. */
    public Duration retention() { return duration("geolead.retention"); }
    public String retentionCron() { return get("geolead.retention.cron"); }
    /** The Dialfire contact field holding the homeowner's consent to be passed on; empty = consent not checked. */
    public String dialfireConsentField() { return get("dialfire.consent.field"); }
    /** GEOLEAD_RECEIPT_KEY as given (empty = a key generated into the data directory). */
    public String receiptKey() { return get("geolead.receipt.key"); }

    /** One line with every setting, secrets masked: {@code GEOLEAD_DB_URL=… DIALFIRE_CAMPAIGN_TOKEN=****}. */
    public String describe() {
        StringBuilder line = new StringBuilder();
        KEYS.forEach((key, env) -> {
            String value = values.get(key);
            if (isSecret(key) && !value.isEmpty()) {
                value = "****";
            } else {
                value = withoutUserInfo(value);
            }
            line.append(line.length() == 0 ? "" : " ").append(env).append('=').append(value.isEmpty() ? "<unset>" : quoteIfNeeded(value));
        });
        return line.toString();
    }

    static boolean isSecret(String key) {
        return key.endsWith("password") || key.endsWith("token") || key.endsWith("secret") || key.endsWith("api.key")
                || key.endsWith("data.keys") || key.endsWith("receipt.key");
    }

    /** Hides credentials written into a URL ({@code scheme://user:pw@host}) and a {@code password=} query parameter. */
    static String withoutUserInfo(String url) {
        return url.replaceAll("(?<=://)[^/]*@", "****@").replaceAll("(?i)(password=)[^&]*", "$1****");
    }

    private static String quoteIfNeeded(String value) {
        return value.contains(" ") ? "'" + value + "'" : value;
    }
}
