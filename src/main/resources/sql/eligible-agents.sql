-- The agents who may receive a lead for PLZ prefixes :#plzPrefixes now (see the view eligible_coverage), and
-- since when they subscribe. When each last had a head start in the PLZ (the fair rotation's order) is read
-- at planning time under the PLZ's lock (DistributionStore), so that leads planned at once still rotate.
-- An agent at their monthly cap (customers.monthly_cap; NULL = no cap) is left out: their planned and manual mails
-- created since :#monthStart (the calendar month in GEOLEAD_DELIVERY_ZONE) that are pending, sending or sent
-- (de.geolead.distribution.MonthlyCap; it checks again under a lock while planning).
-- The same 11 parameters for every lead (:#plzPrefixes always has 10 entries, LeadDistribution.prefixes), so the
-- route passes parametersCount=11 and camel-sql does not ask the database for them (an extra round trip per lead).
-- An IN list, not = ANY (array): measured 3x faster here with 100 000 subscriptions (EligibilityBenchmark).
SELECT e.customer_id,
       min(e.subscribed_since) AS subscribed_since
  FROM eligible_coverage e
  JOIN customers c ON c.id = e.customer_id
 WHERE e.plz IN (:#in:plzPrefixes)
   AND (c.monthly_cap IS NULL
        OR c.monthly_cap > (SELECT count(*) FROM lead_distributions d
                             WHERE d.customer_id = c.id AND d.kind <> 'resend'
                               AND d.status IN ('pending', 'sending', 'sent')
                               AND d.created_at >= :#monthStart))
 GROUP BY e.customer_id
