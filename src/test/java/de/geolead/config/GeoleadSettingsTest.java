package de.geolead.config;

import de.geolead.console.ConsoleSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class GeoleadSettingsTest {

    /** The defaults of application.properties, as Camel would resolve them without any environment. */
    private static Map<String, String> defaults() {
        Map<String, String> values = new HashMap<>();
        values.put("geolead.data.dir", "./data");
        values.put("geolead.db.url", "");
        values.put("geolead.db.user", "");
        values.put("geolead.db.password", "");
        values.put("geolead.db.pool.size", "10");
        values.put("geolead.broker.url", "");
        values.put("geolead.broker.user", "");
        values.put("geolead.broker.password", "");
        values.put("geolead.dev.mode", "false");
        values.put("geolead.http.port", "8080");
        values.put("dialfire.base.url", "https://api.dialfire.com");
        values.put("dialfire.campaign.id", "");
        values.put("dialfire.campaign.token", "");
        values.put("dialfire.tasks", "");
        values.put("dialfire.plz.field", "plz");
        values.put("dialfire.pdf.field", "pdf_url");
        values.put("dialfire.pdf.hosts", "");
        values.put("geolead.import.cron", "0 0/15 * * * ?");
        values.put("geolead.import.lookback", "P7D");
        values.put("geolead.import.overlap", "PT2M");
        values.put("geolead.import.page.size", "1000");
        values.put("geolead.import.workers", "4");
        values.put("geolead.import.http.attempts", "5");
        values.put("geolead.import.http.backoff", "PT1S");
        values.put("geolead.import.http.timeout", "PT30S");
        values.put("geolead.import.pdf.max.bytes", "20971520");
        values.put("geolead.pdf.retry.for", "P1D");
        values.put("geolead.instance.id", "AUTO");
        values.put("geolead.scheduler.checkin", "PT5S");
        values.put("smtp.host", "");
        values.put("smtp.port", "25");
        values.put("smtp.user", "");
        values.put("smtp.password", "");
        values.put("smtp.from", "");
        values.put("stripe.api.key", "");
        values.put("stripe.webhook.secret", "");
        values.put("stripe.api.base", "https://api.stripe.com");
        return values;
    }

    private static GeoleadSettings settings(String... keyValues) {
        Map<String, String> values = defaults();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return GeoleadSettings.from(values::get);
    }

    // ------------------------------------------------------------------ reading

    @Nested
    class Reading {

        @Test
        void valuesAreReadThroughTheLookupAndTrimmed() {
            GeoleadSettings settings = settings(
                    "dialfire.campaign.id", "  DXX5XQHGZ3R4W6R3\t",
                    "dialfire.plz.field", "\n postleitzahl ",
                    "geolead.db.user", " geolead ");

            assertThat(settings.dialfireCampaignId()).isEqualTo("DXX5XQHGZ3R4W6R3");
            assertThat(settings.dialfirePlzField()).isEqualTo("postleitzahl");
            assertThat(settings.dbUser()).isEqualTo("geolead");
            assertThat(settings.get("dialfire.campaign.id")).isEqualTo("DXX5XQHGZ3R4W6R3");
        }

        @Test
        void aLookupWithoutValuesGivesEmptyStringsNeverNull() {
            GeoleadSettings settings = GeoleadSettings.from(key -> null);

            assertThat(settings.dbUrl()).isEmpty();
            assertThat(settings.dialfireCampaignToken()).isEmpty();
            assertThat(settings.get("smtp.host")).isEmpty();
            assertThat(settings.embeddedDatabase()).isTrue();
            assertThat(settings.embeddedBroker()).isTrue();
        }

        @Test
        void everyKnownKeyIsAskedExactlyOnceAtConstruction() {
            Map<String, Integer> asked = new HashMap<>();
            Function<String, String> lookup = key -> {
                asked.merge(key, 1, Integer::sum);
                return defaults().get(key);
            };
            GeoleadSettings settings = GeoleadSettings.from(lookup);
            settings.describe();
            settings.dialfireBaseUrl();

            assertThat(asked).containsKeys(defaults().keySet().toArray(String[]::new));
            assertThat(asked.values()).containsOnly(1);
        }

        @Test
        void getOfAnUnknownKeyThrows() {
            GeoleadSettings settings = settings();

            assertThatThrownBy(() -> settings.get("dialfire.campaign.secret"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dialfire.campaign.secret");
            // environment variable names are not keys
            assertThatThrownBy(() -> settings.get("DIALFIRE_CAMPAIGN_ID"))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void externalDatabaseAndBrokerWhenUrlsAreSet() {
            GeoleadSettings settings = settings(
                    "geolead.db.url", "jdbc:postgresql://db:5432/geolead",
                    "geolead.broker.url", "tcp://broker:61616");

            assertThat(settings.embeddedDatabase()).isFalse();
            assertThat(settings.embeddedBroker()).isFalse();
        }

        @Test
        void dataDirIsAbsoluteAndNormalized() {
            Path dataDir = settings("geolead.data.dir", "./data/../leads").dataDir();

            assertThat(dataDir).isAbsolute();
            assertThat(dataDir).isEqualTo(Path.of("leads").toAbsolutePath());
        }

        @ParameterizedTest
        @CsvSource({"true, true", "TRUE, true", "' true ', true", "false, false", "yes, false", "'', false"})
        void devMode(String value, boolean expected) {
            assertThat(settings("geolead.dev.mode", value).devMode()).isEqualTo(expected);
        }

        @Test
        void numbersAndDurationsAreParsed() {
            GeoleadSettings settings = settings();

            assertThat(settings.dbPoolSize()).isEqualTo(10);
            assertThat(settings.importWorkers()).isEqualTo(4);
            assertThat(settings.importHttpAttempts()).isEqualTo(5);
            assertThat(settings.importPdfMaxBytes()).isEqualTo(20_971_520);
            assertThat(settings.importLookback()).isEqualTo(Duration.ofDays(7));
            assertThat(settings.importOverlap()).isEqualTo(Duration.ofMinutes(2));
            assertThat(settings.importHttpBackoff()).isEqualTo(Duration.ofSeconds(1));
            assertThat(settings.importHttpTimeout()).isEqualTo(Duration.ofSeconds(30));
        }

        @ParameterizedTest
        @CsvSource({"0, 1", "-3, 1", "1, 1", "4, 4"})
        void workersAndAttemptsAreAtLeastOne(String value, int expected) {
            GeoleadSettings settings = settings(
                    "geolead.import.workers", value,
                    "geolead.import.http.attempts", value);

            assertThat(settings.importWorkers()).isEqualTo(expected);
            assertThat(settings.importHttpAttempts()).isEqualTo(expected);
        }
    }

    // ------------------------------------------------------------------ Dialfire

    @Nested
    class Dialfire {

        @ParameterizedTest
        @CsvSource({
                "https://api.dialfire.com, https://api.dialfire.com",
                "https://api.dialfire.com/, https://api.dialfire.com",
                "https://api.dialfire.com///, https://api.dialfire.com",
                "' http://127.0.0.1:8089/ ', http://127.0.0.1:8089",
                "https://proxy.example/dialfire/, https://proxy.example/dialfire"})
        void baseUrlWithoutTrailingSlashes(String configured, String expected) {
            assertThat(settings("dialfire.base.url", configured).dialfireBaseUrl()).isEqualTo(expected);
        }

        @Test
        void missingDialfireSettingsNamesTheEnvironmentVariables() {
            GeoleadSettings nothing = settings("dialfire.base.url", "");

            assertThat(nothing.missingDialfireSettings())
                    .containsExactly("DIALFIRE_BASE_URL", "DIALFIRE_CAMPAIGN_ID", "DIALFIRE_CAMPAIGN_TOKEN");
        }

        @Test
        void onlyTheEmptyOnesAreMissing() {
            GeoleadSettings noToken = settings(
                    "dialfire.campaign.id", "DXX5XQHGZ3R4W6R3",
                    "dialfire.campaign.token", "   ");

            assertThat(noToken.missingDialfireSettings()).containsExactly("DIALFIRE_CAMPAIGN_TOKEN");
        }

        @Test
        void nothingMissingWhenAllAreSet() {
            GeoleadSettings complete = settings(
                    "dialfire.campaign.id", "DXX5XQHGZ3R4W6R3",
                    "dialfire.campaign.token", "tok");

            assertThat(complete.missingDialfireSettings()).isEmpty();
        }

        @Test
        void pdfHostsAreSplitOnCommasAndTheRetryPeriodDefaultsToADay() {
            assertThat(settings("dialfire.pdf.hosts", " files.example.com, ,localhost ").dialfirePdfHosts())
                    .containsExactly("files.example.com", "localhost");
            assertThat(settings().dialfirePdfHosts()).isEmpty();
            assertThat(settings().pdfRetryFor()).isEqualTo(java.time.Duration.ofDays(1));
        }

        @Test
        void tasksAreSplitOnCommasTrimmedAndEmptyOnesDropped() {
            GeoleadSettings settings = settings("dialfire.tasks", " termin_vereinbart , rueckruf,, ,eigentuemer_lead ");

            assertThat(settings.dialfireTasks()).containsExactly("termin_vereinbart", "rueckruf", "eigentuemer_lead");
        }

        @Test
        void noTasksMeansAnEmptyList() {
            assertThat(settings("dialfire.tasks", "").dialfireTasks()).isEmpty();
            assertThat(settings("dialfire.tasks", " , ").dialfireTasks()).isEmpty();
            assertThat(settings("dialfire.tasks", "termin").dialfireTasks()).containsExactly("termin");
        }
    }

    // ------------------------------------------------------------------ parse errors

    @Nested
    class AdminPage {

        @Test
        void sessionTimesArePositiveDurations() {
            assertThat(settings("geolead.admin.session.idle", "PT30M", "geolead.admin.session.max", "PT8H").adminSessionIdle())
                    .isEqualTo(java.time.Duration.ofMinutes(30));
            assertThat(settings("geolead.admin.session.max", "PT8H").adminSessionMax()).isEqualTo(java.time.Duration.ofHours(8));
            assertThatThrownBy(() -> settings("geolead.admin.session.idle", "PT0S").adminSessionIdle())
                    .hasMessageContaining("GEOLEAD_ADMIN_SESSION_IDLE").hasMessageContaining("positive");
            assertThatThrownBy(() -> settings("geolead.admin.session.max", "8h").adminSessionMax())
                    .hasMessageContaining("GEOLEAD_ADMIN_SESSION_MAX").hasMessageContaining("ISO-8601");
        }
    }

    @Nested
    class Scheduler {

        @Test
        void theInstanceIdIsQuartzsAutoUnlessSet() {
            assertThat(settings().instanceId()).isEqualTo("AUTO");
            assertThat(settings("geolead.instance.id", "").instanceId()).isEqualTo("AUTO");
            assertThat(settings("geolead.instance.id", "geolead-7d9f-x2").instanceId()).isEqualTo("geolead-7d9f-x2");
        }

        @Test
        void theCheckinIsADurationOfAtLeastASecond() {
            assertThat(settings().schedulerCheckin()).isEqualTo(java.time.Duration.ofSeconds(5));
            assertThatThrownBy(() -> settings("geolead.scheduler.checkin", "PT0.5S").schedulerCheckin())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("GEOLEAD_SCHEDULER_CHECKIN")
                    .hasMessageContaining("'PT0.5S'");
            assertThatThrownBy(() -> settings("geolead.scheduler.checkin", "5000").schedulerCheckin())
                    .hasMessageContaining("GEOLEAD_SCHEDULER_CHECKIN")
                    .hasMessageContaining("ISO-8601");
        }
    }

    @Nested
    class ParseErrors {

        static Stream<Arguments> durations() {
            return Stream.of(
                    Arguments.of("geolead.import.lookback", "GEOLEAD_IMPORT_LOOKBACK",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importLookback),
                    Arguments.of("geolead.import.overlap", "GEOLEAD_IMPORT_OVERLAP",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importOverlap),
                    Arguments.of("geolead.import.http.backoff", "GEOLEAD_IMPORT_HTTP_BACKOFF",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importHttpBackoff),
                    Arguments.of("geolead.import.http.timeout", "GEOLEAD_IMPORT_HTTP_TIMEOUT",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importHttpTimeout));
        }

        @ParameterizedTest(name = "{1}")
        @MethodSource("durations")
        void aBadDurationNamesTheEnvironmentVariableAndTheValue(String key, String env, Function<GeoleadSettings, Object> getter) {
            GeoleadSettings settings = settings(key, "7 days");

            assertThatThrownBy(() -> getter.apply(settings))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(env)
                    .hasMessageContaining("'7 days'")
                    .hasMessageContaining("ISO-8601");
        }

        @ParameterizedTest(name = "{1}")
        @MethodSource("durations")
        void anEmptyDurationIsAnErrorToo(String key, String env, Function<GeoleadSettings, Object> getter) {
            GeoleadSettings settings = settings(key, "");

            assertThatThrownBy(() -> getter.apply(settings))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(env);
        }

        static Stream<Arguments> integers() {
            return Stream.of(
                    Arguments.of("geolead.db.pool.size", "GEOLEAD_DB_POOL_SIZE",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::dbPoolSize),
                    Arguments.of("geolead.import.page.size", "GEOLEAD_IMPORT_PAGE_SIZE",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importPageSize),
                    Arguments.of("geolead.import.workers", "GEOLEAD_IMPORT_WORKERS",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importWorkers),
                    Arguments.of("geolead.import.http.attempts", "GEOLEAD_IMPORT_HTTP_ATTEMPTS",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importHttpAttempts),
                    Arguments.of("geolead.import.pdf.max.bytes", "GEOLEAD_IMPORT_PDF_MAX_BYTES",
                            (Function<GeoleadSettings, Object>) GeoleadSettings::importPdfMaxBytes));
        }

        @ParameterizedTest(name = "{1}")
        @MethodSource("integers")
        void aBadNumberNamesTheEnvironmentVariableAndTheValue(String key, String env, Function<GeoleadSettings, Object> getter) {
            GeoleadSettings settings = settings(key, "20MB");

            assertThatThrownBy(() -> getter.apply(settings))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(env)
                    .hasMessageContaining("'20MB'")
                    .hasMessageContaining("whole number");
        }

        @Test
        void aDecimalIsNotAWholeNumber() {
            assertThatThrownBy(() -> settings("geolead.import.page.size", "2.5").importPageSize())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("GEOLEAD_IMPORT_PAGE_SIZE");
        }

        @ParameterizedTest
        @CsvSource({"-5, 1", "0, 1", "1, 1", "250, 250", "1000, 1000", "1001, 1000", "100000, 1000", "' 42 ', 42"})
        void importPageSizeIsClampedToOneThroughAThousand(String value, int expected) {
            assertThat(settings("geolead.import.page.size", value).importPageSize()).isEqualTo(expected);
        }
    }

    // ------------------------------------------------------------------ describe

    @Nested
    class Describe {

        private static final String[] SECRETS = {
                "geolead.db.password", "db-Pa55word",
                "geolead.broker.password", "broker-Pa55word",
                "dialfire.campaign.token", "dialfire-campaign-token-123",
                "smtp.password", "smtp-Pa55word",
                "stripe.api.key", "sk_live_abcdef123456",
                "stripe.webhook.secret", "whsec_abcdef123456"};

        @Test
        void everySecretIsMasked() {
            String line = settings(SECRETS).describe();

            assertThat(line).contains(
                    "GEOLEAD_DB_PASSWORD=****",
                    "GEOLEAD_BROKER_PASSWORD=****",
                    "DIALFIRE_CAMPAIGN_TOKEN=****",
                    "SMTP_PASSWORD=****",
                    "STRIPE_API_KEY=****",
                    "STRIPE_WEBHOOK_SECRET=****");
            for (int i = 1; i < SECRETS.length; i += 2) {
                assertThat(line).doesNotContain(SECRETS[i]);
            }
        }

        @Test
        void aSecretWithSpacesIsMaskedNotQuoted() {
            String line = settings("smtp.password", "correct horse battery staple").describe();

            assertThat(line).contains("SMTP_PASSWORD=****").doesNotContain("horse");
        }

        @Test
        void emptyValuesAreShownAsUnset() {
            String line = settings().describe();

            assertThat(line).contains(
                    "GEOLEAD_DB_URL=<unset>",
                    "GEOLEAD_DB_PASSWORD=<unset>",
                    "DIALFIRE_CAMPAIGN_TOKEN=<unset>",
                    "STRIPE_API_KEY=<unset>",
                    "STRIPE_WEBHOOK_SECRET=<unset>",
                    "DIALFIRE_TASKS=<unset>");
            assertThat(line).doesNotContain("=****");
        }

        @Test
        void plainValuesAreShownAndValuesWithSpacesQuoted() {
            Map<String, String> values = defaults();
            values.put("dialfire.campaign.id", "DXX5XQHGZ3R4W6R3");
            java.util.Set<String> keys = new java.util.HashSet<>();
            String line = GeoleadSettings.from(key -> {
                keys.add(key);
                return values.get(key);
            }).describe();

            assertThat(line).startsWith("GEOLEAD_DATA_DIR=./data ");
            assertThat(line).contains(
                    "DIALFIRE_CAMPAIGN_ID=DXX5XQHGZ3R4W6R3",
                    "DIALFIRE_BASE_URL=https://api.dialfire.com",
                    "GEOLEAD_IMPORT_PAGE_SIZE=1000",
                    "GEOLEAD_IMPORT_CRON='0 0/15 * * * ?'");
            assertThat(line).contains(" STRIPE_API_BASE=https://api.stripe.com ").doesNotEndWith(" ");
            // one entry per setting, in a single line
            assertThat(line).doesNotContain("\n");
            assertThat(line.split(" (?=[A-Z_]+=)")).hasSize(keys.size());
        }

        @Test
        void userAndPasswordInUrlsAreHidden() {
            String line = settings(
                    "geolead.db.url", "jdbc:postgresql://geolead:dbsecret@db.internal:5432/geolead",
                    "geolead.broker.url", "amqp://artemis:brokersecret@broker.internal:5672",
                    "dialfire.base.url", "https://proxyuser:proxysecret@proxy.example/dialfire").describe();

            assertThat(line).contains(
                    "GEOLEAD_DB_URL=jdbc:postgresql://****@db.internal:5432/geolead",
                    "GEOLEAD_BROKER_URL=amqp://****@broker.internal:5672",
                    "DIALFIRE_BASE_URL=https://****@proxy.example/dialfire");
            assertThat(line).doesNotContain("dbsecret", "brokersecret", "proxysecret", "geolead:", "artemis:", "proxyuser");
        }

        @Test
        void passwordQueryParametersInUrlsAreHidden() {
            String line = settings(
                    "geolead.db.url", "jdbc:postgresql://db.internal:5432/geolead?user=geolead&password=dbsecret&ssl=true",
                    "geolead.broker.url", "tcp://broker.internal:61616?user=artemis&PASSWORD=brokersecret").describe();

            assertThat(line).contains(
                    "GEOLEAD_DB_URL=jdbc:postgresql://db.internal:5432/geolead?user=geolead&password=****&ssl=true",
                    "GEOLEAD_BROKER_URL=tcp://broker.internal:61616?user=artemis&PASSWORD=****");
            assertThat(line).doesNotContain("dbsecret", "brokersecret");
        }

        @Test
        void urlsWithoutCredentialsAreUnchanged() {
            String url = "jdbc:postgresql://db.internal:5432/geolead?ssl=true";

            assertThat(settings("geolead.db.url", url).describe()).contains("GEOLEAD_DB_URL=" + url + " ");
        }
    }

    @Test
    void theConsoleIsOffWithoutUsersFileAndReadOnlyByDefault() {
        GeoleadSettings defaults = settings("geolead.console.bind", "127.0.0.1", "geolead.console.port", "8081",
                "geolead.console.admin.write", "false");
        GeoleadSettings configured = settings("geolead.console.port", "18081",
                "geolead.console.users.file", "/app/config/console-users.properties",
                "geolead.console.war", "/app/hawtio/hawtio.war", "geolead.console.admin.write", "true");

        assertThat(defaults.consoleUsersFile()).isNull();
        assertThat(defaults.consoleWar()).isNull();
        assertThat(defaults.consoleBind()).isEqualTo("127.0.0.1");
        assertThat(defaults.consolePort()).isEqualTo(8081);
        assertThat(defaults.consoleAdminWrite()).isFalse();
        assertThat(configured.consoleUsersFile()).isEqualTo(Path.of("/app/config/console-users.properties"));
        assertThat(configured.consoleWar()).isEqualTo(Path.of("/app/hawtio/hawtio.war"));
        assertThat(configured.consolePort()).isEqualTo(18081);
        assertThat(configured.consoleAdminWrite()).isTrue();
        assertThatThrownBy(() -> settings("geolead.console.port", "").consolePort()).hasMessageContaining("GEOLEAD_CONSOLE_PORT");
        // what the console is given
        assertThat(defaults.console()).isEqualTo(new ConsoleSettings("127.0.0.1", 8081, null, null, false));
    }

    @Test
    void trustedProxiesAreNoneByDefaultAndABadEntryNamesTheVariable() {
        assertThat(settings("geolead.trusted.proxies", "").trustedProxies().isEmpty()).isTrue();
        assertThat(settings("geolead.trusted.proxies", " 10.0.0.0/8, fd00::/8 ").trustedProxies().contains("fd00::7")).isTrue();
        assertThatThrownBy(() -> settings("geolead.trusted.proxies", "10.0.0.0/8,proxy.internal").trustedProxies())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GEOLEAD_TRUSTED_PROXIES").hasMessageContaining("'proxy.internal'");
    }

    @Test
    void isSecretCoversPasswordsTokensSecretsAndApiKeys() {
        assertThat(GeoleadSettings.isSecret("geolead.db.password")).isTrue();
        assertThat(GeoleadSettings.isSecret("dialfire.campaign.token")).isTrue();
        assertThat(GeoleadSettings.isSecret("stripe.webhook.secret")).isTrue();
        assertThat(GeoleadSettings.isSecret("stripe.api.key")).isTrue();
        assertThat(GeoleadSettings.isSecret("geolead.db.user")).isFalse();
        assertThat(GeoleadSettings.isSecret("dialfire.campaign.id")).isFalse();
        assertThat(GeoleadSettings.isSecret("stripe.api.base")).isFalse();
    }
}
