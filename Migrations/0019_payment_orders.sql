-- Payment orders (money out): every movement that leaves the platform becomes an order in the
-- same transaction as its ledger entry; orders are written into ISO 20022 pain.001.001.09 batch
-- files and closed by the bank statement (settled, or returned with a reason).

-- Where a payee is paid. A supplier's details live on the supplier row; sellers, merchants and
-- consumers have a row here keyed by party type and the platform's reference for the party.
-- Exactly one of iban / account_number (with bank_code) is set; the application validates the
-- check digits, the database the shapes.
ALTER TABLE suppliers
    ADD COLUMN payee_name           TEXT CHECK (length(payee_name) BETWEEN 1 AND 140),
    ADD COLUMN payee_iban           TEXT CHECK (payee_iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'),
    ADD COLUMN payee_account_number TEXT CHECK (payee_account_number ~ '^[0-9]{8,30}$'),
    ADD COLUMN payee_bank_code      TEXT CHECK (payee_bank_code ~ '^([0-9]{12}|[A-Z0-9]{8}([A-Z0-9]{3})?)$'),
    ADD CONSTRAINT supplier_payee_complete CHECK (
        (payee_name IS NULL AND payee_iban IS NULL AND payee_account_number IS NULL AND payee_bank_code IS NULL)
        OR (payee_name IS NOT NULL AND (payee_iban IS NULL) <> (payee_account_number IS NULL)
            AND (payee_account_number IS NULL OR payee_bank_code IS NOT NULL)));

CREATE TABLE payee_details (
    party_type     TEXT NOT NULL CHECK (party_type IN ('seller', 'merchant', 'consumer')),
    party_ref      TEXT NOT NULL CHECK (length(party_ref) BETWEEN 1 AND 200),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
    iban           TEXT CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$'),
    account_number TEXT CHECK (account_number ~ '^[0-9]{8,30}$'),
    bank_code      TEXT CHECK (bank_code ~ '^([0-9]{12}|[A-Z0-9]{8}([A-Z0-9]{3})?)$'),
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (party_type, party_ref),
    CHECK ((iban IS NULL) <> (account_number IS NULL) AND (account_number IS NULL OR bank_code IS NOT NULL))
);

-- A batch file: written once, in the same transaction that creates the row, then immutable
-- (the trigger below); only its status moves from written to sent.
CREATE TABLE payment_batches (
    id              UUID PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE CHECK (message_id ~ '^[A-Z0-9-]{1,35}$'),
    debtor_account  TEXT NOT NULL,
    currency        CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    execution_date  DATE NOT NULL,
    business_date   DATE NOT NULL,
    order_count     INT NOT NULL CHECK (order_count > 0),
    control_sum     BIGINT NOT NULL CHECK (control_sum > 0),
    status          TEXT NOT NULL CHECK (status IN ('written', 'sent')),
    file            BYTEA NOT NULL,
    file_sha256     TEXT NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_by         TEXT,
    sent_at         TIMESTAMPTZ,
    CHECK (file_sha256 = encode(sha256(file), 'hex'))
);
CREATE INDEX payment_batches_paging ON payment_batches (created_at DESC, id DESC);

CREATE FUNCTION payment_batch_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payment batch % is immutable once written', OLD.id USING ERRCODE = '55000';
    END IF;
    IF (NEW.id, NEW.message_id, NEW.debtor_account, NEW.currency, NEW.execution_date, NEW.business_date, NEW.order_count,
        NEW.control_sum, NEW.file, NEW.file_sha256, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.message_id, OLD.debtor_account, OLD.currency, OLD.execution_date, OLD.business_date, OLD.order_count,
        OLD.control_sum, OLD.file, OLD.file_sha256, OLD.created_by, OLD.created_at)
       OR (OLD.status = 'sent' AND NEW.status <> 'sent') THEN
        RAISE EXCEPTION 'payment batch % is immutable once written', OLD.id USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payment_batches_immutable BEFORE UPDATE OR DELETE ON payment_batches
    FOR EACH ROW EXECUTE FUNCTION payment_batch_immutable();

-- One order per source movement (UNIQUE (source_type, source_id)): nothing is ever paid twice.
-- The creditor's details are copied in when known and frozen when the order is batched; an
-- order without them waits (awaiting_creditor_details) and batching skips it.
CREATE TABLE payment_orders (
    id                       UUID PRIMARY KEY,
    end_to_end_id            TEXT NOT NULL UNIQUE CHECK (end_to_end_id ~ '^[A-Z0-9]{1,35}$'),
    source_type              TEXT NOT NULL CHECK (source_type IN ('financing_advance', 'supplier_remainder', 'claim_payout',
                                                                  'merchant_payable', 'consumer_refund')),
    source_id                TEXT NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
    creditor_type            TEXT NOT NULL CHECK (creditor_type IN ('supplier', 'seller', 'merchant', 'consumer')),
    creditor_ref             TEXT NOT NULL CHECK (length(creditor_ref) BETWEEN 1 AND 200),
    creditor_name            TEXT CHECK (length(creditor_name) BETWEEN 1 AND 140),
    creditor_iban            TEXT,
    creditor_account_number  TEXT,
    creditor_bank_code       TEXT,
    awaiting_creditor_details BOOLEAN GENERATED ALWAYS AS (creditor_name IS NULL) STORED,
    amount                   BIGINT NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
    currency                 CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    requested_execution_date DATE NOT NULL,
    purpose                  TEXT NOT NULL CHECK (purpose ~ '^[A-Z]{4}$'),
    remittance               TEXT NOT NULL CHECK (length(remittance) <= 140),
    status                   TEXT NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'batched', 'sent', 'settled', 'returned', 'failed')),
    batch_id                 UUID REFERENCES payment_batches (id),
    -- The ledger entry that moved the money, and how reconciliation names it.
    entry_id                 UUID NOT NULL REFERENCES journal_entries (id),
    entry_reference_type     TEXT NOT NULL,
    entry_reference_id       TEXT NOT NULL,
    return_entry_id          UUID REFERENCES journal_entries (id),
    return_reason            TEXT,
    -- Why an operator marked the order failed (the bank rejected it, or it was cancelled before batching).
    failure_reason           TEXT CHECK (length(failure_reason) BETWEEN 1 AND 500),
    business_date            DATE NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (source_type, source_id),
    -- Batched and later orders are in a batch, with their creditor frozen; a failed one may never have been.
    CHECK (status <> 'pending' OR batch_id IS NULL),
    CHECK (status IN ('pending', 'failed') OR batch_id IS NOT NULL),
    CHECK (status IN ('pending', 'failed') OR creditor_name IS NOT NULL),
    CHECK ((status = 'returned') = (return_entry_id IS NOT NULL)),
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
CREATE INDEX payment_orders_paging ON payment_orders (created_at DESC, id DESC);
CREATE INDEX payment_orders_pending ON payment_orders (currency, requested_execution_date) WHERE status = 'pending';
CREATE INDEX payment_orders_batch ON payment_orders (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX payment_orders_entry ON payment_orders (entry_reference_type, entry_reference_id);
CREATE INDEX payment_orders_creditor ON payment_orders (creditor_type, creditor_ref, created_at DESC, id DESC);
CREATE INDEX payment_orders_open ON payment_orders (requested_execution_date) WHERE status IN ('batched', 'sent');

-- Every status step of every order, who made it and why.
CREATE TABLE payment_order_steps (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    UUID NOT NULL REFERENCES payment_orders (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_order_steps_order ON payment_order_steps (order_id, id);

-- camt.053 `TxDtls/RtrInf/Rsn/Cd`: the bank sent a payment of ours back, and why. The nightly step
-- that books returns reads only the unmatched ones.
ALTER TABLE statement_lines ADD COLUMN return_reason TEXT;
CREATE INDEX statement_lines_open_returns ON statement_lines (reference) WHERE return_reason IS NOT NULL AND matched_by IS NULL;

-- What a batch line quotes: items paid in one batch carry its message id (which is also its one
-- payment information id) as their batch reference, for one-to-many matching.
ALTER TABLE reconciliation_run_items ADD COLUMN batch_ref TEXT;
CREATE VIEW reconciliation_batch_refs (reference_type, reference_id, batch_ref) AS
    SELECT o.entry_reference_type, o.entry_reference_id, b.message_id
    FROM payment_orders o JOIN payment_batches b ON b.id = o.batch_id;

-- A payment order's end-to-end id is our own reference for its entry (rank 0, tried first), and for
-- the entry that books its return; the batch's message id is a last resort (rank 3).
CREATE OR REPLACE VIEW reconciliation_aliases (reference_type, reference_id, alias, rank) AS
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
    SELECT 'receivable', v.id::text, v.order_ref, 2 FROM receivables v WHERE v.order_ref IS NOT NULL
    UNION ALL
    SELECT o.entry_reference_type, o.entry_reference_id, o.end_to_end_id, 0 FROM payment_orders o
    UNION ALL
    SELECT 'payment_order_return', o.id::text, o.end_to_end_id, 0 FROM payment_orders o WHERE o.return_entry_id IS NOT NULL
    UNION ALL
    SELECT r.reference_type, r.reference_id, r.batch_ref, 3 FROM reconciliation_batch_refs r;
