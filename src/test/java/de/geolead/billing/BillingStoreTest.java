package de.geolead.billing;

import de.geolead.db.Database;
import de.geolead.testing.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BillingStore on the shared {@link Database}: real PostgreSQL. */
class BillingStoreTest {

    private final TestDatabase db = TestDatabase.get();
    private final BillingStore store = new BillingStore(new Database(db.dataSource()));

    @BeforeEach
    void clean() {
        db.reset();
    }

    @Test
    void aDatabaseErrorIsReportedWithItsSqlStateOnlyNeverTheValuesItQuotes() {
        // PostgreSQL quotes the offending token (here an agent's e-mail), Spring the SQL: neither reaches the message
        assertThatThrownBy(() -> store.recordEvent("evt_bad", "customer.updated", null, "{\"email\": makler@example.test}"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Billing database work failed (SQLState 22P02)");
        assertThat(db.count("SELECT count(*) FROM stripe_events")).isZero();
    }

    @Test
    void aStripeCustomerIsLinkedOnceAndAgentsListTheirStripeCustomersOldestFirst() {
        long agent = store.linkStripeCustomer("cus_a", "Makler A", "a@makler.test");
        assertThat(store.linkStripeCustomer("cus_a", "Makler A", "a@makler.test")).isEqualTo(agent);
        assertThat(store.linkStripeCustomer("cus_b", "Other name", "A@Makler.test")).as("same e-mail: linked").isEqualTo(agent);
        long other = store.linkStripeCustomer("cus_c", null, null);

        assertThat(store.stripeAgents()).containsExactly(
                new BillingStore.StripeAgent(agent, List.of("cus_a", "cus_b")),
                new BillingStore.StripeAgent(other, List.of("cus_c")));
        assertThat(store.eventType("evt_none")).isEmpty();
        assertThat(store.recordEvent("evt_1", "invoice.paid", null, "{}")).isTrue();
        assertThat(store.eventType("evt_1")).contains("invoice.paid");
    }
}
