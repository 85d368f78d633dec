-- Issue 13: the monthly bill (账单).
--
-- Each credit account has a statement day and a repayment day, both 1 to 28 so every month has
-- them. The product holds the defaults; an account may override either (NULL = the product's).
-- On the statement day the nightly run issues each account's bill (Docs/CREDIT-BILLS.md): every
-- unbilled open installment falling due up to the bill's due date (the next repayment day), across
-- all plans, with what was owed on it (principal, fee or interest, late fee) when the bill was issued.
--
-- A bill is a view of money already in the ledger: issuing it posts no journal entry.
-- Scaling: both tables carry credit_account_id first in every key (distributed by it on Citus).
ALTER TABLE credit_products
    ADD COLUMN statement_day INT NOT NULL DEFAULT 1 CHECK (statement_day BETWEEN 1 AND 28),
    ADD COLUMN repayment_day INT NOT NULL DEFAULT 10 CHECK (repayment_day BETWEEN 1 AND 28);
ALTER TABLE credit_accounts
    ADD COLUMN statement_day INT CHECK (statement_day BETWEEN 1 AND 28),
    ADD COLUMN repayment_day INT CHECK (repayment_day BETWEEN 1 AND 28);

CREATE TABLE credit_bills (
    credit_account_id   UUID NOT NULL REFERENCES credit_accounts (id),
    id                  UUID NOT NULL,
    statement_date      DATE NOT NULL,
    -- The cycle the bill covers: installments falling due from cycle_start to due_date
    -- (plus any older one not billed before, e.g. after the account's days changed).
    cycle_start         DATE NOT NULL,
    due_date            DATE NOT NULL,
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    principal           BIGINT NOT NULL CHECK (principal >= 0),
    fees                BIGINT NOT NULL CHECK (fees >= 0),
    late_fees           BIGINT NOT NULL CHECK (late_fees >= 0),
    total_due           BIGINT NOT NULL CHECK (total_due > 0),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (credit_account_id, id),
    -- One bill per account and cycle: re-running a night issues nothing twice.
    UNIQUE (credit_account_id, statement_date),
    CHECK (total_due = principal + fees + late_fees),
    CHECK (cycle_start <= due_date AND statement_date < due_date)
);
-- A bill named by id alone (GET /bills/{id}, a repayment's bill_id): a routed-by-index lookup on Citus.
CREATE INDEX credit_bills_id ON credit_bills (id);

CREATE TABLE credit_bill_lines (
    credit_account_id   UUID NOT NULL,
    bill_id             UUID NOT NULL,
    plan_id             UUID NOT NULL,
    number              INT NOT NULL,
    due_date            DATE NOT NULL,
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    principal           BIGINT NOT NULL CHECK (principal >= 0),
    fee                 BIGINT NOT NULL CHECK (fee >= 0),
    late_fee            BIGINT NOT NULL CHECK (late_fee >= 0),
    PRIMARY KEY (credit_account_id, bill_id, plan_id, number),
    -- An installment is on at most one bill.
    UNIQUE (credit_account_id, plan_id, number),
    FOREIGN KEY (credit_account_id, bill_id) REFERENCES credit_bills (credit_account_id, id),
    FOREIGN KEY (credit_account_id, plan_id, number) REFERENCES credit_installments (credit_account_id, plan_id, number),
    CHECK (principal + fee + late_fee > 0)
);

-- A repayment that names a bill pays its lines across plans: one credit_repayments row per plan,
-- sharing the external reference (claimed once, globally, in credit_unique_refs) and the bill id.
ALTER TABLE credit_repayments ADD COLUMN bill_id UUID;
ALTER TABLE credit_repayments DROP CONSTRAINT credit_repayments_credit_account_id_external_ref_key;
ALTER TABLE credit_repayments ADD CONSTRAINT credit_repayments_external_ref_plan UNIQUE (credit_account_id, external_ref, plan_id);
