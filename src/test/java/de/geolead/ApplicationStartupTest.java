package de.geolead;

import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What ops see when Geolead starts: one configuration line with secrets masked, and what runs. */
class ApplicationStartupTest {

    @TempDir
    Path dataDir;

    @Test
    void withoutDialfireSettingsTheImportStaysOffWithOneClearLineAndTheRestRuns() {
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dataDir, Map.of(
                     "dialfire.campaign.id", "",
                     "dialfire.campaign.token", ""))) {

            for (String route : new String[] {"dialfire-import", "dialfire-import-run", "dialfire-lead",
                    "dialfire-lead-stored", "dialfire-pdf-retry"}) {
                assertThat(app.context().getRouteController().getRouteStatus(route)).as(route).isEqualTo(ServiceStatus.Stopped);
            }
            assertThat(app.context().getStatus()).isEqualTo(ServiceStatus.Started);
            assertThat(log.linesContaining("Dialfire import is NOT started")).hasSize(1)
                    .first().asString().contains("DIALFIRE_CAMPAIGN_ID").contains("DIALFIRE_CAMPAIGN_TOKEN");
            // the tests' database is given by URL, as in a deployment of several instances
            assertThat(log.linesContaining("every instance on this database generates its own management login")).hasSize(1);
        }
    }

    @Test
    void theConfigurationLineListsEverySettingWithSecretsMasked() {
        String token = "very-secret-campaign-token";
        try (LogCapture log = LogCapture.open();
             RunningApp app = RunningApp.start(dataDir, Map.of(
                     "dialfire.base.url", "http://127.0.0.1:9",
                     "dialfire.campaign.id", "CAMPAIGN",
                     "dialfire.campaign.token", token,
                     "stripe.webhook.secret", "whsec_123",
                     "smtp.password", "mail-pass"))) {

            assertThat(app.context().getRouteController().getRouteStatus("dialfire-import")).isEqualTo(ServiceStatus.Started);
            String line = log.linesContaining("Geolead configuration:").get(0);
            assertThat(line).contains("DIALFIRE_CAMPAIGN_ID=CAMPAIGN", "DIALFIRE_CAMPAIGN_TOKEN=****",
                    "STRIPE_WEBHOOK_SECRET=****", "SMTP_PASSWORD=****", "GEOLEAD_IMPORT_CRON=", "SMTP_HOST=<unset>");
            assertThat(String.join("\n", log.lines())).doesNotContain(token, "whsec_123", "mail-pass");
        }
    }
}
