-- Consumer installment credit (issue 4): products, credit accounts, checkout authorizations,
-- installment plans and schedules, repayments, refunds.
--
-- Scaling (ARCHITECTURE.md): every hot table carries credit_account_id in its PRIMARY KEY and in
-- every UNIQUE constraint, so it can be distributed on Citus by credit_account_id (colocated);
-- credit_products and credit_product_tenors are small reference tables. Money is BIGINT minor
-- units next to a CHAR(3) currency; rates are NUMERIC.
-- Personal data: the national ID and the phone number are never stored in clear, only as keyed
-- HMAC-SHA256 digests (key from QZ_PII_KEY), the national ID's last four characters and the
-- masked phone number.

CREATE TABLE credit_products (
    id                          UUID PRIMARY KEY,
    code                        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name                        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency                    CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    interest_free_days          INT NOT NULL CHECK (interest_free_days BETWEEN 0 AND 366),
    grace_days                  INT NOT NULL CHECK (grace_days BETWEEN 0 AND 60),
    daily_late_fee_rate         NUMERIC(12, 8) NOT NULL CHECK (daily_late_fee_rate >= 0 AND daily_late_fee_rate < 1),
    -- Late fees on one installment never exceed this fraction of its overdue principal.
    late_fee_cap                NUMERIC(12, 8) NOT NULL CHECK (late_fee_cap >= 0 AND late_fee_cap <= 10),
    authorization_expiry_hours  INT NOT NULL CHECK (authorization_expiry_hours BETWEEN 1 AND 8760),
    rounding                    TEXT NOT NULL CHECK (rounding IN ('half_even', 'half_up', 'down', 'up')),
    is_default                  BOOLEAN NOT NULL DEFAULT false,
    created_at                  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one default product: accounts opened without a product_id get it.
CREATE UNIQUE INDEX credit_products_one_default ON credit_products (is_default) WHERE is_default;

CREATE TABLE credit_product_tenors (
    product_id      UUID NOT NULL REFERENCES credit_products (id),
    tenor           INT NOT NULL CHECK (tenor BETWEEN 1 AND 60),
    pricing         TEXT NOT NULL CHECK (pricing IN ('flat_monthly_fee', 'declining_balance')),
    monthly_rate    NUMERIC(12, 8) NOT NULL CHECK (monthly_rate >= 0 AND monthly_rate < 1),
    PRIMARY KEY (product_id, tenor)
);

-- The default product, seeded here so a fresh installation can open accounts at once
-- (CreditProduct.standard): 3, 6 and 12 installments at a flat 0.60 % a month, 24 installments on a
-- declining balance at 1.00 % a month; 30 interest-free days, 3 grace days, late fee 0.05 % a day
-- capped at 25 % of the overdue principal, authorizations held 72 hours, half-even rounding.
INSERT INTO credit_products (id, code, name, currency, interest_free_days, grace_days, daily_late_fee_rate,
                             late_fee_cap, authorization_expiry_hours, rounding, is_default)
VALUES ('00000000-0000-4000-8000-000000000001', 'standard', 'Standard consumer installment credit', 'CNY',
        30, 3, 0.0005, 0.25, 72, 'half_even', true);
INSERT INTO credit_product_tenors (product_id, tenor, pricing, monthly_rate) VALUES
    ('00000000-0000-4000-8000-000000000001', 3, 'flat_monthly_fee', 0.006),
    ('00000000-0000-4000-8000-000000000001', 6, 'flat_monthly_fee', 0.006),
    ('00000000-0000-4000-8000-000000000001', 12, 'flat_monthly_fee', 0.006),
    ('00000000-0000-4000-8000-000000000001', 24, 'declining_balance', 0.01);

-- Business keys that must be unique across ALL credit accounts: checkout order references,
-- repayment and refund external references, national-ID digests. With the owner-key rule every
-- UNIQUE constraint of a hot table includes credit_account_id, which cannot stop the same order
-- reference from reaching two different accounts. So global uniqueness goes through this small
-- lookup table, keyed (and on Citus distributed) by the reference itself, written in the same
-- transaction as the object it names: a duplicate fails the whole use case.
CREATE TABLE credit_unique_refs (
    ref                 TEXT NOT NULL CHECK (length(ref) BETWEEN 1 AND 200),
    kind                TEXT NOT NULL CHECK (kind IN ('order', 'repayment', 'refund', 'national_id')),
    credit_account_id   UUID NOT NULL,
    object_id           UUID NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (ref, kind)
);

CREATE TABLE credit_accounts (
    -- The credit account id is the owner key every credit table is distributed by.
    id                      UUID PRIMARY KEY,
    product_id              UUID NOT NULL REFERENCES credit_products (id),
    national_id_hmac        BYTEA NOT NULL CHECK (length(national_id_hmac) = 32),
    national_id_last4       TEXT NOT NULL CHECK (national_id_last4 ~ '^[0-9]{3}[0-9X]$'),
    phone_hmac              BYTEA NOT NULL CHECK (length(phone_hmac) = 32),
    phone_masked            TEXT NOT NULL CHECK (phone_masked ~ '^1[0-9]{2}[*]{4}[0-9]{4}$'),
    currency                CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    credit_limit            BIGINT NOT NULL CHECK (credit_limit >= 0),
    -- Sum of the amounts of live authorizations (status 'authorized').
    held                    BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    -- Captured principal not yet repaid, refunded or written off.
    principal_outstanding   BIGINT NOT NULL DEFAULT 0 CHECK (principal_outstanding >= 0),
    status                  TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'charged_off', 'declined')),
    score                   INT NOT NULL,
    score_reasons           TEXT[] NOT NULL,
    -- The scorecard's explanation (points per feature) and the behaviour features as scored.
    score_detail            JSONB NOT NULL,
    features                JSONB NOT NULL,
    days_past_due           INT NOT NULL DEFAULT 0 CHECK (days_past_due >= 0),
    bucket                  TEXT NOT NULL DEFAULT 'current'
                            CHECK (bucket IN ('current', 'dpd_1_30', 'dpd_31_60', 'dpd_61_90', 'dpd_90_plus')),
    opened_on               DATE NOT NULL,
    charged_off_on          DATE,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The limit can never be over-committed, whatever races the application loses.
    CONSTRAINT credit_accounts_within_limit CHECK (held + principal_outstanding <= credit_limit),
    CHECK ((status = 'charged_off') = (charged_off_on IS NOT NULL))
);

-- A checkout authorization: a hold on the account's limit until captured, voided or expired.
-- Declined attempts are kept too (with their reasons) but do not claim the order reference.
CREATE TABLE credit_checkouts (
    credit_account_id   UUID NOT NULL REFERENCES credit_accounts (id),
    id                  UUID NOT NULL,
    order_ref           TEXT NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 200),
    merchant_id         TEXT NOT NULL CHECK (merchant_id ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    plan_type           TEXT NOT NULL CHECK (plan_type IN ('interest_free', 'installments')),
    tenor               INT CHECK (tenor > 0),
    status              TEXT NOT NULL CHECK (status IN ('authorized', 'declined', 'captured', 'voided', 'expired')),
    decline_reasons     JSONB NOT NULL DEFAULT '[]',
    captured_amount     BIGINT,
    plan_id             UUID,
    business_date       DATE NOT NULL,
    authorized_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at          TIMESTAMPTZ NOT NULL,
    closed_at           TIMESTAMPTZ,
    PRIMARY KEY (credit_account_id, id),
    CHECK ((plan_type = 'installments') = (tenor IS NOT NULL)),
    CHECK ((status = 'captured') = (captured_amount IS NOT NULL AND plan_id IS NOT NULL)),
    CHECK (captured_amount IS NULL OR (captured_amount > 0 AND captured_amount <= amount))
);
-- Capture and void address a checkout by id alone (on Citus a routed-by-index lookup).
CREATE INDEX credit_checkouts_id ON credit_checkouts (id);
-- Live holds only (a small partial index): the nightly expiry walks it in account order, batch by batch.
CREATE INDEX credit_checkouts_live ON credit_checkouts (credit_account_id, expires_at) WHERE status = 'authorized';

CREATE TABLE credit_plans (
    credit_account_id   UUID NOT NULL REFERENCES credit_accounts (id),
    id                  UUID NOT NULL,
    checkout_id         UUID NOT NULL,
    merchant_id         TEXT NOT NULL,
    plan_type           TEXT NOT NULL CHECK (plan_type IN ('interest_free', 'installments')),
    tenor               INT CHECK (tenor > 0),
    -- Pricing snapshotted from the product when the plan was made (NULL for interest-free).
    pricing             TEXT CHECK (pricing IN ('flat_monthly_fee', 'declining_balance')),
    monthly_rate        NUMERIC(12, 8) CHECK (monthly_rate >= 0),
    rounding            TEXT NOT NULL CHECK (rounding IN ('half_even', 'half_up', 'down', 'up')),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The financed principal of this plan, and it less refunds (the flat-fee base).
    principal           BIGINT NOT NULL CHECK (principal > 0),
    fee_base            BIGINT NOT NULL CHECK (fee_base >= 0),
    purchase_date       DATE NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('active', 'paid_off', 'cancelled', 'converted', 'charged_off')),
    -- The interest-free plan this installment plan was converted from.
    converted_from      UUID,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at           TIMESTAMPTZ,
    PRIMARY KEY (credit_account_id, id),
    CHECK ((plan_type = 'installments') = (tenor IS NOT NULL AND pricing IS NOT NULL AND monthly_rate IS NOT NULL)),
    CHECK (fee_base <= principal)
);
CREATE INDEX credit_plans_id ON credit_plans (id);
CREATE INDEX credit_plans_checkout ON credit_plans (credit_account_id, checkout_id);

-- One row per installment: what is scheduled, what was paid, waived or charged late.
CREATE TABLE credit_installments (
    credit_account_id   UUID NOT NULL,
    plan_id             UUID NOT NULL,
    number              INT NOT NULL CHECK (number > 0),
    due_date            DATE NOT NULL,
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    principal           BIGINT NOT NULL CHECK (principal >= 0),
    fee                 BIGINT NOT NULL CHECK (fee >= 0),
    late_fee            BIGINT NOT NULL DEFAULT 0 CHECK (late_fee >= 0),
    principal_paid      BIGINT NOT NULL DEFAULT 0 CHECK (principal_paid >= 0),
    fee_paid            BIGINT NOT NULL DEFAULT 0 CHECK (fee_paid >= 0),
    late_fee_paid       BIGINT NOT NULL DEFAULT 0 CHECK (late_fee_paid >= 0),
    -- Future fees forgiven by an early payoff or a cancelling refund.
    fee_waived          BIGINT NOT NULL DEFAULT 0 CHECK (fee_waived >= 0),
    -- Days of late fee charged so far, and the last business date the nightly run aged this row.
    late_fee_days       INT NOT NULL DEFAULT 0 CHECK (late_fee_days >= 0),
    days_past_due       INT NOT NULL DEFAULT 0 CHECK (days_past_due >= 0),
    aged_through        DATE,
    status              TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled', 'converted', 'charged_off')),
    PRIMARY KEY (credit_account_id, plan_id, number),
    FOREIGN KEY (credit_account_id, plan_id) REFERENCES credit_plans (credit_account_id, id),
    CHECK (principal_paid <= principal),
    CHECK (fee_paid + fee_waived <= fee),
    CHECK (late_fee_paid <= late_fee)
);
-- Ageing and the "anything overdue?" check at checkout walk open installments by account and due date.
CREATE INDEX credit_installments_open_due ON credit_installments (credit_account_id, due_date) WHERE status = 'open';

CREATE TABLE credit_repayments (
    credit_account_id   UUID NOT NULL REFERENCES credit_accounts (id),
    id                  UUID NOT NULL,
    plan_id             UUID NOT NULL,
    external_ref        TEXT NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 200),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    principal_paid      BIGINT NOT NULL CHECK (principal_paid >= 0),
    fee_paid            BIGINT NOT NULL CHECK (fee_paid >= 0),
    late_fee_paid       BIGINT NOT NULL CHECK (late_fee_paid >= 0),
    fee_waived          BIGINT NOT NULL DEFAULT 0 CHECK (fee_waived >= 0),
    payoff              BOOLEAN NOT NULL DEFAULT false,
    -- Per installment: what this repayment paid on it.
    allocation          JSONB NOT NULL,
    business_date       DATE NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (credit_account_id, id),
    UNIQUE (credit_account_id, external_ref),
    CHECK (principal_paid + fee_paid + late_fee_paid = amount)
);

CREATE TABLE credit_refunds (
    credit_account_id       UUID NOT NULL REFERENCES credit_accounts (id),
    id                      UUID NOT NULL,
    plan_id                 UUID NOT NULL,
    checkout_id             UUID NOT NULL,
    external_ref            TEXT NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 200),
    amount                  BIGINT NOT NULL CHECK (amount > 0),
    currency                CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    outcome                 TEXT NOT NULL CHECK (outcome IN ('reamortized', 'cancelled')),
    principal_cleared       BIGINT NOT NULL CHECK (principal_cleared >= 0),
    late_fees_settled       BIGINT NOT NULL CHECK (late_fees_settled >= 0),
    fees_settled            BIGINT NOT NULL CHECK (fees_settled >= 0),
    fees_waived             BIGINT NOT NULL CHECK (fees_waived >= 0),
    returned_to_consumer    BIGINT NOT NULL CHECK (returned_to_consumer >= 0),
    business_date           DATE NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (credit_account_id, id),
    UNIQUE (credit_account_id, external_ref),
    CHECK (principal_cleared + late_fees_settled + fees_settled + returned_to_consumer = amount)
);
