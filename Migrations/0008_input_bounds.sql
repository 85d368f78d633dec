-- Issue 12: the database refuses what the API refuses. Every amount a caller states is at most
-- 10^15 minor units (Money.maximumMinorUnits), so one value can no longer push a sum past Int64;
-- sums over many rows are computed as numeric in SQL. Free text the API bounds at 2,000 code points.
-- NOT VALID: rows written before this migration are not re-checked (a database that already
-- holds a huge amount still migrates); every new or updated row is.

ALTER TABLE suppliers ADD CONSTRAINT suppliers_line_limit_max CHECK (line_limit <= 1000000000000000) NOT VALID;
ALTER TABLE suppliers ADD CONSTRAINT suppliers_auto_approval_ceiling_max CHECK (auto_approval_ceiling <= 1000000000000000) NOT VALID;
ALTER TABLE receivables ADD CONSTRAINT receivables_face_amount_max CHECK (face_amount <= 1000000000000000) NOT VALID;
ALTER TABLE receivable_adjustments ADD CONSTRAINT receivable_adjustments_amount_max CHECK (amount <= 1000000000000000) NOT VALID;
ALTER TABLE credit_checkouts ADD CONSTRAINT credit_checkouts_amount_max CHECK (amount <= 1000000000000000) NOT VALID;
ALTER TABLE credit_repayments ADD CONSTRAINT credit_repayments_amount_max CHECK (amount <= 1000000000000000) NOT VALID;
ALTER TABLE credit_refunds ADD CONSTRAINT credit_refunds_amount_max CHECK (amount <= 1000000000000000) NOT VALID;
ALTER TABLE shipping_policies ADD CONSTRAINT shipping_policies_coverage_cap_max CHECK (coverage_cap <= 1000000000000000) NOT VALID;
ALTER TABLE insurance_return_events ADD CONSTRAINT insurance_return_events_shipping_cost_max
    CHECK (shipping_cost <= 1000000000000000) NOT VALID;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_description_length CHECK (length(description) <= 2000) NOT VALID;

-- Personal-data digests carry the id of the key that made them (NULL: written before this
-- migration, key unknown), so production can refuse digests made under the development key.
ALTER TABLE credit_accounts ADD COLUMN pii_key_id TEXT CHECK (pii_key_id ~ '^k[0-9a-f]{12}$');
