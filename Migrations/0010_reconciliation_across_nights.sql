-- Reconciliation that lasts across nights: where an exception comes from (its source and the
-- counterparty's reference), who closed it automatically, and paging over all of them.

ALTER TABLE reconciliation_exceptions
    -- The statement source (bank account or `channel:<name>`) or, for ledger items, the cash account.
    ADD COLUMN source TEXT,
    -- The reference the bank or channel quoted (its end-to-end id, external ref, order ref), shown first.
    ADD COLUMN counterparty_ref TEXT,
    -- The nightly run that closed the exception by a later match.
    ADD COLUMN resolved_by_run UUID;

-- Keyset paging over every list the API serves (date, kind, id), with or without filters.
CREATE INDEX reconciliation_exceptions_paging ON reconciliation_exceptions (business_date, kind, id);

-- Statement identity: account + statement number (electronic sequence number, else Stmt/Id) +
-- period, whatever the file's bytes; the content hash tells a re-sent copy from a different statement.
ALTER TABLE statements
    ADD COLUMN identity TEXT,
    ADD COLUMN content_hash TEXT,
    ADD COLUMN sequence_no BIGINT,
    ADD COLUMN period DATE,
    -- Verdicts found on import (sequence gap, balance discontinuity, foreign-currency entries),
    -- raised as exceptions by the next nightly run.
    ADD COLUMN findings TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN verdicts_raised_by UUID;
CREATE UNIQUE INDEX statements_identity ON statements (identity) WHERE identity IS NOT NULL;
CREATE INDEX statements_unraised ON statements (imported_at) WHERE verdicts_raised_by IS NULL;

-- Matching state that lasts across nights: a line or ledger item matched once is never loaded,
-- matched or reported again.
ALTER TABLE statement_lines ADD COLUMN matched_by UUID;
CREATE INDEX statement_lines_open ON statement_lines (value_date) WHERE matched_by IS NULL;

CREATE TABLE reconciled_items (
    entry_id      UUID PRIMARY KEY,
    business_date DATE NOT NULL,
    run_id        UUID NOT NULL,
    matched_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Matching rules per source (a bank account, or `channel:<name>`); `*` is the default for every
-- source without its own row. Changed through the API, each change audited.
CREATE TABLE matching_rules (
    source                 TEXT PRIMARY KEY CHECK (length(source) BETWEEN 1 AND 100),
    amount_tolerance_minor BIGINT NOT NULL DEFAULT 0 CHECK (amount_tolerance_minor BETWEEN 0 AND 100000000),
    date_window_days       INT NOT NULL DEFAULT 1 CHECK (date_window_days BETWEEN 0 AND 31),
    one_to_many            BOOLEAN NOT NULL DEFAULT true,
    many_to_one            BOOLEAN NOT NULL DEFAULT true,
    updated_by             TEXT NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO matching_rules (source, updated_by) VALUES ('*', 'migration');

-- The references a bank or channel can quote for a journal entry besides our own id, ranked in
-- the order matching tries them: 1 the platform's external reference, 2 the order reference.
CREATE VIEW reconciliation_aliases (reference_type, reference_id, alias, rank) AS
    SELECT 'repayment', r.id::text, r.external_ref, 1 FROM credit_repayments r
    UNION ALL
    SELECT 'repayment', r.id::text, c.order_ref, 2
    FROM credit_repayments r
    JOIN credit_plans p ON p.credit_account_id = r.credit_account_id AND p.id = r.plan_id
    JOIN credit_checkouts c ON c.credit_account_id = p.credit_account_id AND c.id = p.checkout_id
    UNION ALL
    SELECT 'refund', f.id::text, f.external_ref, 1 FROM credit_refunds f
    UNION ALL
    SELECT 'refund', f.id::text, c.order_ref, 2
    FROM credit_refunds f JOIN credit_checkouts c ON c.credit_account_id = f.credit_account_id AND c.id = f.checkout_id
    UNION ALL
    SELECT 'checkout', c.id::text, c.order_ref, 2 FROM credit_checkouts c
    UNION ALL
    SELECT 'receivable', v.id::text, v.external_reference, 1 FROM receivables v
    UNION ALL
    SELECT 'receivable', v.id::text, v.order_ref, 2 FROM receivables v WHERE v.order_ref IS NOT NULL;

-- camt.054 debit/credit notifications and MT940 statements are imported like camt.053.
ALTER TABLE statements DROP CONSTRAINT statements_format_check;
ALTER TABLE statements ADD CONSTRAINT statements_format_check CHECK (format IN ('camt053', 'camt054', 'mt940', 'settlement_csv'));
