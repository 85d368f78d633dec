-- Issue 13: credit that treats every consumer right.
--
-- 1. Delinquency from money owed: an installment is 'open' only while something is owed on it.
--    One with nothing owed (a 0.00 installment of a tiny purchase, or one a refund emptied) is
--    settled the moment it exists; the CHECK makes PostgreSQL refuse any path that forgets it,
--    so every reader of status = 'open' (ageing, late fees, freeze, charge-off, checkout) sees money.
UPDATE credit_installments SET status = 'paid'
WHERE status = 'open'
  AND principal - principal_paid + fee - fee_paid - fee_waived + late_fee - late_fee_paid = 0;
UPDATE credit_plans p SET status = 'paid_off', closed_at = now()
WHERE p.status = 'active'
  AND NOT EXISTS (SELECT 1 FROM credit_installments i
                  WHERE i.credit_account_id = p.credit_account_id AND i.plan_id = p.id AND i.status = 'open');
ALTER TABLE credit_installments ADD CONSTRAINT credit_installments_open_owes CHECK (
    status <> 'open' OR principal - principal_paid + fee - fee_paid - fee_waived + late_fee - late_fee_paid > 0);

-- 2./3. Each product names how a repayment is allocated and what happens to money beyond what is due
--    (Docs/CREDIT-REPAYMENTS.md). Defaults: Fineract's due-date order; the excess prepays the next
--    bills' principal without collecting fees or interest not yet due.
ALTER TABLE credit_products
    ADD COLUMN allocation_strategy TEXT NOT NULL DEFAULT 'due_date_order'
        CHECK (allocation_strategy IN ('due_date_order')),
    ADD COLUMN overpayment TEXT NOT NULL DEFAULT 'prepay_next_bills'
        CHECK (overpayment IN ('prepay_next_bills', 'refuse'));

-- Account lifecycle: an account with nothing owed or held can be closed (audited; it takes no new purchases).
ALTER TABLE credit_accounts DROP CONSTRAINT credit_accounts_status_check;
ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_status_check
    CHECK (status IN ('active', 'frozen', 'charged_off', 'declined', 'closed'));
ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_closed_owes_nothing
    CHECK (status <> 'closed' OR (held = 0 AND principal_outstanding = 0));

-- Recoveries after charge-off: cash collected on a written-off account, booked to its own income
-- account (credit.recoveries.<ccy>); never more than was written off.
CREATE TABLE credit_recoveries (
    credit_account_id   UUID NOT NULL REFERENCES credit_accounts (id),
    id                  UUID NOT NULL,
    external_ref        TEXT NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 200),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    business_date       DATE NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (credit_account_id, id),
    UNIQUE (credit_account_id, external_ref)
);
