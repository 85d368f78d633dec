-- Idempotency records are now written inside the request's business transaction (issue 15): the
-- claim is the transaction's first statement and the stored response its last, so there is no
-- lease any more. An uncommitted claim is invisible to others; a concurrent duplicate waits on the
-- primary key. `locked_until` is no longer written; it stays (nullable) so that a replica of the
-- previous release can run beside this one during a rolling deploy, and goes in a later release.
ALTER TABLE idempotency_keys ALTER COLUMN locked_until DROP NOT NULL;
