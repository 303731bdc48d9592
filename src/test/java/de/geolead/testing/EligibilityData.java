package de.geolead.testing;

import de.geolead.distribution.LeadDistribution;
import de.geolead.distribution.MonthlyCap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Who may get a lead for a PLZ (the eligibility lookup, {@code sql/eligible-agents.sql} on the view
 * {@code eligible_coverage}) on a large, mixed table: {@link #create} writes agents (paid, unpaid, past due, paused,
 * paused in the past, capped with mails this month) and their subscriptions (active, canceled and ended, past due,
 * not started yet, some for PLZ prefixes) straight into the {@link TestDatabase}; {@link GeoleadLookup} asks through
 * Geolead's own route step and {@link BareLookup} the same SQL over plain JDBC.
 */
public final class EligibilityData {

    /** The route step of lead-distribution that runs the lookup (its id in routes/lead-distribution.camel.yaml). */
    public static final String ROUTE_STEP = "find-eligible-agents";

    private EligibilityData() {
    }

    /** What {@link #create} wrote. */
    public record Summary(long subscriptions, long distinctPlz, long agents, List<String> plzs, String busiestPlz) {
        @Override
        public String toString() {
            return subscriptions + " subscriptions over " + distinctPlz + " distinct PLZ/prefixes of " + agents + " agents; busiest PLZ " + busiestPlz;
        }
    }

    /**
     * Writes {@code subscriptions} subscriptions over {@code plzCount} five-digit PLZ (every PLZ at least once, the rest
     * skewed towards some busy ones as in cities; about 2 % of them for a three-digit and 0.3 % for a two-digit prefix of
     * their PLZ) of {@code subscriptions / 8} agents, and 20 000 mails this month of capped agents. Deterministic.
     */
    public static Summary create(TestDatabase db, int subscriptions, int plzCount) {
        int agents = Math.max(10, subscriptions / 8);
        // agents: 70 % paid, 15 % unpaid, 15 % past due; every 17th paused until next month, every 23rd paused until yesterday;
        // every 13th capped at 5..45 mails a month
        db.update("""
                INSERT INTO customers (name, email, status, paused_until, monthly_cap)
                SELECT 'Agent ' || g, 'agent' || g || '@makler.test',
                       CASE WHEN g % 20 < 14 THEN 'paid' WHEN g % 20 < 17 THEN 'unpaid' ELSE 'past_due' END,
                       CASE WHEN g % 17 = 0 THEN now() + interval '30 days' WHEN g % 23 = 0 THEN now() - interval '1 day' END,
                       CASE WHEN g % 13 = 0 THEN 5 + (g % 9) * 5 END
                  FROM generate_series(1, ?) g
                """, agents);
        // the PLZ: plzCount distinct five-digit codes (10007 and 89000 are coprime)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS bench_plz (k INT PRIMARY KEY, plz TEXT NOT NULL)");
        db.update("TRUNCATE bench_plz");
        db.update("INSERT INTO bench_plz SELECT k, lpad(((k * 10007) % 89000 + 10000)::text, 5, '0') FROM generate_series(0, ? - 1) k", plzCount);
        // candidates: the first plzCount cover every PLZ once, the others pick a PLZ skewed (random()^1.3: the busiest
        // PLZ gets about 100 subscriptions, the median one about 8) and an agent;
        // duplicates (agent, PLZ) are dropped, then the first `subscriptions` kept
        db.execute("SELECT setseed(0.14)");
        db.update("""
                WITH candidates AS (
                    SELECT g,
                           CASE WHEN g <= ? THEN g - 1 ELSE floor(? * random() ^ 1.3)::int END AS k,
                           1 + floor(random() * ?)::int AS customer_id
                      FROM generate_series(1, ? * 12 / 10) g
                ), shaped AS (
                    SELECT c.g, c.customer_id,
                           CASE WHEN c.g % 300 = 7 THEN substr(p.plz, 1, 2) WHEN c.g % 50 = 3 THEN substr(p.plz, 1, 3) ELSE p.plz END AS plz
                      FROM candidates c JOIN bench_plz p ON p.k = c.k
                ), distinct_pairs AS (
                    SELECT DISTINCT ON (customer_id, plz) g, customer_id, plz FROM shaped ORDER BY customer_id, plz, g
                )
                INSERT INTO subscriptions (customer_id, plz, start_date, end_date, status)
                SELECT customer_id, plz,
                       CASE WHEN g % 40 = 1 THEN now() + interval '5 days' ELSE now() - (g % 700) * interval '1 day' END,
                       CASE WHEN g % 20 = 2 THEN now() - interval '2 days' WHEN g % 31 = 0 THEN now() + interval '60 days' END,
                       CASE WHEN g % 20 = 2 THEN 'canceled' WHEN g % 25 = 4 THEN 'past_due' WHEN g % 33 = 5 THEN 'inactive' ELSE 'active' END
                  FROM distinct_pairs ORDER BY g LIMIT ?
                """, plzCount, plzCount, agents, subscriptions, subscriptions);
        // mails this month (and last month) of the capped agents, so that the cap's count has rows to count
        db.update("""
                INSERT INTO leads (plz, dialfire_id, dialfire_version, contact, status)
                SELECT p.plz, 'ELIG' || g, 'V1', '{}'::jsonb, 'distributed' FROM generate_series(1, 4000) g JOIN bench_plz p ON p.k = g % ?
                """, plzCount);
        db.update("""
                INSERT INTO lead_distributions (lead_id, customer_id, status, role, created_at, sent_at)
                SELECT l.id, c.id, CASE WHEN (l.id + c.id) % 10 = 0 THEN 'skipped' ELSE 'sent' END, 'only',
                       now() - ((l.id + c.id) % 50) * interval '1 day', now()
                  FROM leads l JOIN customers c ON c.monthly_cap IS NOT NULL AND (l.id * 31 + c.id) % 97 < 5
                 WHERE l.dialfire_id LIKE 'ELIG%'
                ON CONFLICT DO NOTHING
                """);
        db.execute("ANALYZE customers");
        db.execute("ANALYZE subscriptions");
        db.execute("ANALYZE leads");
        db.execute("ANALYZE lead_distributions");
        List<String> plzs = db.rows("SELECT plz FROM bench_plz ORDER BY k").stream().map(r -> (String) r.get("plz")).toList();
        String busiest = (String) db.row("SELECT plz FROM subscriptions WHERE length(plz) = 5 GROUP BY plz ORDER BY count(*) DESC, plz LIMIT 1").get("plz");
        return new Summary(db.count("SELECT count(*) FROM subscriptions"), db.count("SELECT count(DISTINCT plz) FROM subscriptions"),
                agents, plzs, busiest);
    }

    /** EXPLAIN ANALYZE of the bare lookup for {@code plz} (with its prefixes and this month). */
    public static String plan(TestDatabase db, String plz) {
        List<String> prefixes = ownPrefixes(plz);
        Object[] args = new Object[prefixes.size() + 1];
        for (int i = 0; i < prefixes.size(); i++) {
            args[i] = prefixes.get(i);
        }
        args[prefixes.size()] = Timestamp.from(Instant.now().minusSeconds(86_400L * 20));
        return db.rows("EXPLAIN (ANALYZE, BUFFERS) " + bareSql(prefixes.size()), args).stream()
                .map(r -> r.values().iterator().next().toString()).collect(Collectors.joining("\n"));
    }

    /** The PLZ's own prefixes, each once ("80331" → 8, 80, 803, 8033, 80331). */
    static List<String> ownPrefixes(String plz) {
        return LeadDistribution.prefixes(plz).stream().distinct().toList();
    }

    /** One answer of the lookup: "customerId since subscribedSince" per agent, sorted. */
    public static List<String> answer(List<Map<String, Object>> rows) {
        List<String> answer = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            answer.add(((Number) row.get("customer_id")).longValue() + " since " + row.get("subscribed_since"));
        }
        answer.sort(null);
        return answer;
    }

    /** A lookup of the agents who may get a lead for a PLZ now. */
    public interface Lookup {
        List<String> lookup(String plz);
    }

    /**
     * Geolead's path as deployed: the processor of the route step {@link #ROUTE_STEP} (the camel-sql endpoint of the
     * running app, on its connection pool) with the headers the route's earlier steps set (plz, plzPrefixes, monthStart).
     */
    public static final class GeoleadLookup implements Lookup {
        private final CamelContext context;
        private final Processor step;
        private final MonthlyCap monthlyCap;

        public GeoleadLookup(CamelContext context) {
            this.context = context;
            this.step = context.getProcessor(ROUTE_STEP);
            this.monthlyCap = context.getRegistry().lookupByNameAndType("monthlyCap", MonthlyCap.class);
            if (step == null || monthlyCap == null) {
                throw new IllegalStateException("route step " + ROUTE_STEP + " or bean monthlyCap not found");
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public List<String> lookup(String plz) {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setHeader("plz", plz);
            exchange.getMessage().setHeader("plzPrefixes", LeadDistribution.prefixes(plz));
            exchange.getMessage().setHeader("monthStart", monthlyCap.monthStart());
            try {
                step.process(exchange);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (exchange.getException() != null) {
                throw new IllegalStateException(exchange.getException());
            }
            return answer(exchange.getMessage().getHeader("eligibleAgents", List.class));
        }

        public Timestamp monthStart() {
            return monthlyCap.monthStart();
        }
    }

    /**
     * The same SQL ({@code sql/eligible-agents.sql}, comments dropped) with the PLZ's own prefixes as the IN list and the
     * month's start, as prepared statements (one per number of prefixes) on one plain JDBC connection.
     */
    public static final class BareLookup implements Lookup {
        private final Connection connection;
        private final Map<Integer, PreparedStatement> statements = new java.util.HashMap<>();
        private final Timestamp monthStart;

        public BareLookup(Connection connection, Timestamp monthStart) {
            this.connection = connection;
            this.monthStart = monthStart;
        }

        @Override
        public List<String> lookup(String plz) {
            List<String> prefixes = ownPrefixes(plz);
            try {
                PreparedStatement ps = statements.get(prefixes.size());
                if (ps == null) {
                    ps = connection.prepareStatement(bareSql(prefixes.size()));
                    statements.put(prefixes.size(), ps);
                }
                return agents(ps, prefixes, monthStart);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Runs {@code ps} (the prefixes in its IN list, then the month's start) and answers "customer id since timestamp"
     * per row, sorted: the form every eligibility comparison uses.
     */
    public static List<String> agents(PreparedStatement ps, List<String> prefixes, Timestamp monthStart) throws SQLException {
        for (int i = 0; i < prefixes.size(); i++) {
            ps.setString(i + 1, prefixes.get(i));
        }
        ps.setTimestamp(prefixes.size() + 1, monthStart);
        List<String> answer = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                answer.add(rs.getLong(1) + " since " + rs.getTimestamp(2));
            }
        }
        answer.sort(null);
        return answer;
    }

    /** {@code sql/eligible-agents.sql} without its comments, {@code prefixes} placeholders in the IN list, then the month. */
    static String bareSql(int prefixes) {
        String sql = routeSql().lines().filter(line -> !line.stripLeading().startsWith("--")).collect(Collectors.joining("\n"))
                .replace(":#in:plzPrefixes", String.join(", ", java.util.Collections.nCopies(prefixes, "?"))).replace(":#monthStart", "?");
        if (sql.contains(":#")) {
            throw new IllegalStateException("sql/eligible-agents.sql has parameters the bare lookup does not know: " + sql);
        }
        return sql;
    }

    private static String routeSql() {
        try (InputStream in = EligibilityData.class.getResourceAsStream("/sql/eligible-agents.sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
