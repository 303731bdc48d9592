package de.geolead.distribution;

import de.geolead.testing.EligibilityData;
import de.geolead.testing.RunningApp;
import de.geolead.testing.TestDatabase;
import org.apache.camel.Endpoint;
import org.apache.camel.component.sql.SqlEndpoint;
import org.apache.camel.processor.SendProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The eligibility lookup as the route lead-distribution runs it (step find-eligible-agents, sql/eligible-agents.sql with
 * its IN list always 10 prefixes long) finds exactly the agents of the definition (the view eligible_coverage with the PLZ's
 * prefixes as an IN list, minus the agents at their cap) for every PLZ of a mixed table: paid, unpaid, past-due,
 * paused and capped agents; active, canceled, ended, not yet started subscriptions; prefix subscriptions.
 */
class EligibleAgentsLookupTest {

    /** The definition: the view with the PLZ's own prefixes (no repeats) as the IN list, minus the agents at their cap. */
    static final String DEFINITION = """
            SELECT e.customer_id, min(e.subscribed_since) AS subscribed_since
              FROM eligible_coverage e
              JOIN customers c ON c.id = e.customer_id
             WHERE e.plz IN (%s)
               AND (c.monthly_cap IS NULL
                    OR c.monthly_cap > (SELECT count(*) FROM lead_distributions d
                                         WHERE d.customer_id = c.id AND d.kind <> 'resend'
                                           AND d.status IN ('pending', 'sending', 'sent')
                                           AND d.created_at >= ?))
             GROUP BY e.customer_id
            """;

    @TempDir
    static Path dataDir;
    static final TestDatabase db = TestDatabase.get();
    static RunningApp app;
    static EligibilityData.Summary data;

    @BeforeAll
    static void start() {
        db.reset();
        data = EligibilityData.create(db, 6_000, 500);
        app = RunningApp.start(dataDir, Map.of("geolead.sweep.cron", RunningApp.NEVER));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void theRouteStepFindsTheAgentsOfTheDefinitionForEveryPlz() throws SQLException {
        EligibilityData.GeoleadLookup geolead = new EligibilityData.GeoleadLookup(app.context());
        List<String> plzs = new ArrayList<>(data.plzs());
        plzs.addAll(List.of("99999", "0", "8", "")); // nobody there, a bare prefix, a lead without a PLZ
        int agentsFound = 0;
        try (Connection connection = db.dataSource().getConnection()) {
            for (String plz : plzs) {
                List<String> expected = definition(connection, plz, geolead.monthStart());
                assertThat(geolead.lookup(plz)).as("PLZ '%s'", plz).isEqualTo(expected);
                agentsFound += expected.size();
            }
        }
        // the data is not trivially empty: leads find agents, and some agents are left out for each reason
        assertThat(agentsFound).isGreaterThan(plzs.size());
        assertThat(db.count("SELECT count(*) FROM subscriptions s JOIN customers c ON c.id = s.customer_id "
                + "WHERE s.status = 'active' AND c.status = 'paid' AND c.paused_until > now()")).isPositive();
        assertThat(db.count("SELECT count(*) FROM customers WHERE monthly_cap IS NOT NULL AND monthly_cap <= "
                + "(SELECT count(*) FROM lead_distributions d WHERE d.customer_id = customers.id AND d.status = 'sent' "
                + "AND d.created_at >= date_trunc('month', now()) - interval '1 day')")).isPositive();
    }

    /** The route passes the query's parameter count, so camel-sql asks PostgreSQL nothing but the query itself. */
    @Test
    void theRouteStepDoesNotAskTheDatabaseForTheParameters() {
        Endpoint endpoint = ((SendProcessor) app.context().getProcessor(EligibilityData.ROUTE_STEP)).getEndpoint();
        assertThat(endpoint).isInstanceOf(SqlEndpoint.class);
        // without parametersCount camel-sql calls PreparedStatement.getParameterMetaData(), one more round trip per lead
        assertThat(((SqlEndpoint) endpoint).getParametersCount()).isEqualTo(LeadDistribution.PREFIX_SLOTS + 1);
    }

    private static List<String> definition(Connection connection, String plz, Timestamp monthStart) throws SQLException {
        List<String> prefixes = LeadDistribution.prefixes(plz).stream().distinct().toList();
        try (PreparedStatement ps = connection.prepareStatement(DEFINITION.formatted(String.join(", ", Collections.nCopies(prefixes.size(), "?"))))) {
            return EligibilityData.agents(ps, prefixes, monthStart);
        }
    }
}
