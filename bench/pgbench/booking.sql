-- The booking transaction of missions.services.book_slot, statement for statement, as pgbench runs it:
-- what PostgreSQL alone can do for POST /api/v1/bookings/ on this machine (`python -m bench` runs it with
-- -c 32 -j 2 and prints its rate beside ours). `python -m bench.jobs booking-sql DOCTOR SLOT` prints the
-- statements Django actually sends, to check this mirror against.
--
-- Run with -M prepared (variables are bound as parameters, like a driver does).
-- Variables (-D): dmin/dmax = validated doctors' ids, smin/smax = slots' ids.
--
-- To keep the data set stable while still paying for a real commit (WAL flush included), the row is inserted
-- with status 'cancelled' — outside the partial unique index (doctor, date) of active bookings, so random
-- (doctor, slot) pairs never collide — and the runner deletes every row pgbench wrote afterwards. A ROLLBACK
-- instead would skip the commit's WAL flush, the largest single cost of this transaction, and flatter the
-- database. The counts read the same rows the application reads.
\set d random(:dmin, :dmax)
\set s random(:smin, :smax)
BEGIN;
-- The Idempotency-Key claim (api.idempotency): one INSERT … ON CONFLICT DO NOTHING, no savepoint (since #20).
INSERT INTO missions_idempotentrequest (user_id, scope, key, body_hash, response_status, response_body, created_at)
SELECT d.user_id, 'bookings.create', 'pgbench-' || md5(random()::text), md5(:s::text), 0, '{}'::jsonb, now()
  FROM missions_doctor d WHERE d.id = :d
ON CONFLICT DO NOTHING
RETURNING id AS cid \gset
-- (No savepoint for the service's own atomic block inside the claim's transaction since #20's round 3.)
-- Lock order: the doctor row, then the slot row (with what the service reads alongside).
SELECT d.id, d.status, d.user_id, u.email, c.insee_code, e.siren AS doctor_epci
  FROM missions_doctor d
  JOIN accounts_user u ON u.id = d.user_id
  JOIN sites_commune c ON c.id = d.practice_commune_id
  LEFT JOIN sites_epci e ON e.id = c.epci_id
 WHERE d.id = :d FOR UPDATE OF d;
SELECT s.date AS sdate, s.period AS speriod, s.zone_id AS szone, s.site_id AS ssite, s.capacity AS scap,
       h.active AS site_active, z.siren AS zone_siren,
       -- the zone rule: has the doctor declared the slot's zone (read with the slot, as the service does)
       EXISTS (SELECT 1 FROM missions_doctor_zones dz WHERE dz.doctor_id = :d AND dz.zone_id = s.zone_id) AS covered,
       -- who to tell at the site (the outbox's recipients), read with the slot since #20's round 3
       ARRAY(SELECT mu.email FROM sites_sitemembership m JOIN accounts_user mu ON mu.id = m.user_id
              WHERE m.site_id = s.site_id AND mu.is_active) AS members,
       date_trunc('month', s.date)::date AS mfirst,
       (date_trunc('month', s.date) + interval '1 month - 1 day')::date AS mlast
  FROM sites_slot s
  JOIN sites_hostsite h ON h.id = s.site_id
  JOIN sites_zone z ON z.id = s.zone_id
 WHERE s.id = :s FOR UPDATE OF s \gset
-- R3 (one active booking per doctor and date), R1 (days booked in the month), R2 (places taken): one query.
SELECT count(id) FILTER (WHERE doctor_id = :d AND date = :sdate::date) AS that_day,
       sum(day_fraction) FILTER (WHERE doctor_id = :d AND date BETWEEN :mfirst::date AND :mlast::date) AS month_days,
       count(id) FILTER (WHERE slot_id = :s) AS taken
  FROM missions_booking
 WHERE status IN ('requested', 'confirmed', 'completed')
   AND ((doctor_id = :d AND date BETWEEN :mfirst::date AND :mlast::date) OR slot_id = :s);
-- The booking and its history row (django-simple-history's columns), one statement since #20.
WITH b AS (
  INSERT INTO missions_booking (doctor_id, slot_id, zone_id, date, period, day_fraction, status, in_own_zone,
                                requested_at, requested_by_id, reason, late_cancellation, correction_reason,
                                replacement_name, replacement_rpps)
  SELECT :d::bigint, :s::bigint, :szone::bigint, :sdate::date, :speriod::text,
         CASE WHEN :speriod::text = 'full_day' THEN 1 ELSE 0.5 END, 'cancelled', false, now(), u.id, 'pgbench',
         false, '', '', ''
    FROM missions_doctor d JOIN accounts_user u ON u.id = d.user_id WHERE d.id = :d
  RETURNING *)
INSERT INTO missions_historicalbooking (id, doctor_id, slot_id, zone_id, date, period, day_fraction, status,
       in_own_zone, requested_at, requested_by_id, reason, late_cancellation, correction_reason, replacement_name,
       replacement_rpps, history_date, history_change_reason, history_type, history_user_id)
SELECT id, doctor_id, slot_id, zone_id, date, period, day_fraction, status, in_own_zone, requested_at,
       requested_by_id, reason, late_cancellation, correction_reason, replacement_name, replacement_rpps, now(), NULL,
       '+', requested_by_id
  FROM b
RETURNING id AS bid \gset
-- The outbox: one message per recipient.
INSERT INTO notifications_message (kind, recipient, subject, body_text, body_html, dedup_key, status, attempts,
                                   last_error, created_at)
VALUES ('booking_requested', 'lieu@bench.lieux.fr', 'Nouvelle demande de réservation',
        repeat('Un médecin demande à venir. ', 20), repeat('<p>Un médecin demande à venir.</p>', 30),
        'pgbench-' || :bid::text || '-site', 'pending', 0, '', now()),
       ('booking_requested', 'accueil@bench.lieux.fr', 'Nouvelle demande de réservation',
        repeat('Un médecin demande à venir. ', 20), repeat('<p>Un médecin demande à venir.</p>', 30),
        'pgbench-' || :bid::text || '-contact', 'pending', 0, '', now())
ON CONFLICT DO NOTHING;
-- The response recorded against the key.
UPDATE missions_idempotentrequest SET response_status = 201, response_body = jsonb_build_object('id', :bid::bigint)
 WHERE id = :cid;
COMMIT;
