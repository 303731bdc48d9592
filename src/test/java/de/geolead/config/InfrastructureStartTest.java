package de.geolead.config;

import de.geolead.testing.LogCapture;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Infrastructure#open}: the embedded broker starts on its own thread beside the database and its migrations (a
 * shorter start), and a database that cannot be opened still leaves no broker running.
 */
class InfrastructureStartTest {

    @TempDir
    Path dataDir;

    @Test
    void theEmbeddedBrokerStartsBesideTheDatabase() throws Exception {
        Infrastructure infrastructure;
        try (LogCapture log = LogCapture.open()) {
            infrastructure = Infrastructure.open(settings(TestDatabase.get().jdbcUrl()));
            assertThat(log.threadsOf("Embedded Artemis broker started")).containsExactly("geolead-broker-start");
            assertThat(log.linesContaining("Database schema is current")).hasSize(1);
        }
        try {
            assertThat(infrastructure.embeddedBroker()).isNotNull();
            assertThat(infrastructure.embeddedBroker().server().getActiveMQServer().isActive()).isTrue();
        } finally {
            infrastructure.start();
            infrastructure.stop();
        }
    }

    @Test
    void aDatabaseThatCannotBeOpenedLeavesNoBrokerRunning() throws Exception {
        String nobodyListens = "jdbc:postgresql://127.0.0.1:" + RunningApp.freePort() + "/geolead?connectTimeout=2";
        assertThatThrownBy(() -> Infrastructure.open(settings(nobodyListens))).isNotNull();
        // the broker of the failed start was stopped: its journal and in-VM acceptor are free for the next start
        Infrastructure again = Infrastructure.open(settings(TestDatabase.get().jdbcUrl()));
        try {
            assertThat(again.embeddedBroker().server().getActiveMQServer().isActive()).isTrue();
        } finally {
            again.start();
            again.stop();
        }
    }

    private GeoleadSettings settings(String dbUrl) {
        TestDatabase db = TestDatabase.get();
        Map<String, String> values = new HashMap<>();
        values.put("geolead.data.dir", dataDir.toString());
        values.put("geolead.db.url", dbUrl);
        values.put("geolead.db.user", db.user());
        values.put("geolead.db.password", db.password());
        values.put("geolead.db.pool.size", "2");
        values.put("geolead.broker.redelivery.delay", "PT1S");
        values.put("geolead.broker.delivery.attempts", "10");
        return GeoleadSettings.from(values::get);
    }
}
