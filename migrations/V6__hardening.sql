-- Registry hardening (issue 26).
-- 1. Audit events carry an HMAC-SHA256 of their hash under a key the database never sees
--    (hookline.audit.hmac-key), so a database login that may INSERT cannot forge a valid event.
--    Events written before this migration have none (verify accepts unsigned events only before
--    the first signed one).
ALTER TABLE audit_event ADD COLUMN hmac CHAR(64);

-- 2. A lease is bound to the principal that took it (normalised) and to the token it used, so
--    that another WORKER cannot complete it and revoking the token releases it.
ALTER TABLE edit_job ADD COLUMN lease_principal TEXT;
ALTER TABLE edit_job ADD COLUMN lease_token_id BIGINT;
CREATE INDEX edit_job_lease_token_idx ON edit_job(lease_token_id) WHERE status = 'LEASED';
