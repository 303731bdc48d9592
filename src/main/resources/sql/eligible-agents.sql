-- The agents who may receive a lead for PLZ :#plz now (see the view eligible_coverage), with what the
-- fair rotation needs: since when they subscribe, and when they last got a head start in this PLZ
-- (a head start whose mail was skipped or failed was not the agent's turn).
SELECT e.customer_id,
       min(e.subscribed_since) AS subscribed_since,
       (SELECT max(d.created_at)
          FROM lead_distributions d
          JOIN leads l ON l.id = d.lead_id
         WHERE d.customer_id = e.customer_id
           AND d.role = 'head_start'
           AND d.status NOT IN ('skipped', 'failed')
           AND l.plz = :#plz) AS last_head_start_at
  FROM eligible_coverage e
 WHERE e.plz IN (:#in:plzPrefixes)
 GROUP BY e.customer_id
