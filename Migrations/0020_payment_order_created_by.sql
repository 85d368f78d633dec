-- A payment order's creation is its first audited step. From here on the order row itself carries
-- who created it (`created_by`; `created_at` already says when and `source_type` why), and the
-- step is read from it instead of a second row written next to every order: a checkout's capture
-- writes one row fewer in its transaction. Orders created before this migration keep the first
-- step they were written with (their `created_by` stays NULL), so no step is shown twice.
ALTER TABLE payment_orders ADD COLUMN created_by TEXT;
