package de.geolead.dialfire;

import de.geolead.simulator.dialfire.DialfireSimulator;
import de.geolead.testing.RunningApp;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedCamelContextMBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The campaign token is read by the route at call time ({@code ${properties:dialfire.campaign.token}}), never written
 * into the route model: the console's read-only users may dump the routes with their placeholders resolved
 * ({@code dumpRoutesAsXml(true)}, allowed by the Jolokia policy for the route diagram) and read every Camel MBean
 * attribute, and must not find the token there. With {@code constant: "Bearer {{dialfire.campaign.token}}"} the
 * resolved dump showed it.
 */
class TokenOutOfRouteDumpsTest {

    static final String TOKEN = "campaign-token-never-in-a-dump";

    @TempDir
    Path dataDir;

    @Test
    void theTokenIsInNoRouteDumpAndNoCamelAttribute() throws Exception {
        DialfireSimulator dialfire = DialfireSimulator.start(0, "CAMPAIGNDUMP", TOKEN);
        try (RunningApp app = RunningApp.start(dataDir, RunningApp.importingFrom(dialfire, "CAMPAIGNDUMP", TOKEN))) {
            ManagedCamelContextMBean managed = app.context().getCamelContextExtension()
                    .getContextPlugin(ManagedCamelContext.class).getManagedCamelContext();
            String resolved = managed.dumpRoutesAsXml(true);
            assertThat(resolved).contains("dialfire-fetch-transactions", "Authorization").doesNotContain(TOKEN);
            assertThat(managed.dumpRoutesAsXml()).doesNotContain(TOKEN);

            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            List<String> showing = new ArrayList<>();
            for (ObjectName name : server.queryNames(new ObjectName("org.apache.camel:*"), null)) {
                for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
                    Object value;
                    try {
                        value = server.getAttribute(name, attribute.getName());
                    } catch (Exception | LinkageError notReadable) {
                        continue;
                    }
                    if (value != null && String.valueOf(value).contains(TOKEN)) {
                        showing.add(name + " " + attribute.getName());
                    }
                }
            }
            assertThat(showing).isEmpty();
        } finally {
            dialfire.close();
        }
    }
}
