-- The agents who may receive a lead for PLZ prefixes :#plzPrefixes now (see the view eligible_coverage), and
-- since when they subscribe. When each last had a head start in the PLZ (the fair rotation's order) is read
-- at planning time under the PLZ's lock (DistributionStore), so that leads planned at once still rotate.
SELECT e.customer_id,
       min(e.subscribed_since) AS subscribed_since
  FROM eligible_coverage e
 WHERE e.plz IN (:#in:plzPrefixes)
 GROUP BY e.customer_id
