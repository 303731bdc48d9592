package de.geolead.config;

import de.geolead.dialfire.DialfireClient;
import de.geolead.dialfire.DialfireImport;
import de.geolead.dialfire.ImportWatermarks;
import de.geolead.lead.LeadIntake;
import de.geolead.lead.LeadRepository;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;

/**
 * The one place where Geolead is wired: reads the settings, opens database and broker,
 * and binds the beans the YAML routes call by name.
 */
public class GeoleadConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GeoleadConfiguration.class);

    /** Route placeholder that switches the Dialfire import on or off. */
    static final String IMPORT_ENABLED = "geolead.import.enabled";

    @Override
    public void configure(CamelContext context) throws Exception {
        GeoleadSettings settings = GeoleadSettings.from(key -> context.getPropertiesComponent().resolveProperty(key).orElse(""));
        LOG.info("Geolead configuration: {}", settings.describe());

        Infrastructure infrastructure = Infrastructure.open(settings);
        // a context service: stopped after the routes, so consumers never outlive their broker or database
        context.addService(infrastructure, true, true);

        Registry registry = context.getRegistry();
        registry.bind("geoleadSettings", settings);
        registry.bind("infrastructure", infrastructure);
        registry.bind("dataSource", infrastructure.dataSource());
        registry.bind("jmsConnectionFactory", infrastructure.connectionFactory());
        context.getComponent("jms", JmsComponent.class).setConnectionFactory(infrastructure.connectionFactory());

        DialfireClient dialfire = new DialfireClient(settings.dialfireBaseUrl(), settings.dialfireCampaignId(),
                settings.dialfireCampaignToken(), settings.importHttpAttempts(), settings.importHttpBackoff(),
                settings.importHttpTimeout());
        registry.bind("dialfireImport", new DialfireImport(dialfire, new ImportWatermarks(infrastructure.dataSource()),
                settings.dialfireTasks(), settings.importLookback(), settings.importOverlap(), settings.importPageSize(),
                Clock.systemUTC()));
        registry.bind("leadIntake", new LeadIntake(dialfire, new LeadRepository(infrastructure.dataSource()),
                settings.dialfirePlzField(), settings.dialfirePdfField(), settings.importPdfMaxBytes()));

        registry.bind("importWorkers", context.getExecutorServiceManager()
                .newFixedThreadPool(this, "dialfire-import", settings.importWorkers()));

        List<String> missing = settings.missingDialfireSettings();
        boolean importEnabled = missing.isEmpty();
        context.getPropertiesComponent().addOverrideProperty(IMPORT_ENABLED, Boolean.toString(importEnabled));
        if (!importEnabled) {
            LOG.warn("Dialfire import is NOT started: set {} (everything else runs)", String.join(", ", missing));
        }
    }
}
