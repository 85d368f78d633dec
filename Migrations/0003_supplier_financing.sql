-- Supplier financing (reverse factoring): suppliers with a financing line, the receivables the
-- platform confirms it owes them, dilution adjustments, financing requests and their items.
-- Hot tables carry supplier_id in the primary key and in every unique constraint, so they can be
-- distributed by supplier_id (Citus); global uniqueness of a credit code uses a lookup table.

CREATE TABLE suppliers (
    id                      UUID PRIMARY KEY,
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    credit_code             TEXT NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NP-RT-UW-Y]{18}$'),
    status                  TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'closed')),
    currency                CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    line_limit              BIGINT NOT NULL CHECK (line_limit >= 0),
    advance_rate            NUMERIC(9, 6) NOT NULL CHECK (advance_rate > 0 AND advance_rate <= 1),
    annual_discount_rate    NUMERIC(9, 6) NOT NULL CHECK (annual_discount_rate >= 0),
    min_days_to_maturity    INT NOT NULL CHECK (min_days_to_maturity >= 1),
    max_days_to_maturity    INT NOT NULL CHECK (max_days_to_maturity >= min_days_to_maturity),
    auto_approval_ceiling   BIGINT NOT NULL CHECK (auto_approval_ceiling >= 0),
    day_count               TEXT NOT NULL CHECK (day_count IN ('ACT/360', 'ACT/365F', '30/360')),
    -- Advances approved or awaiting review and not yet repaid: what the line has given or promised.
    financing_committed     BIGINT NOT NULL DEFAULT 0 CHECK (financing_committed >= 0),
    -- Shortfall after dilution that the supplier owes back (recourse).
    recourse_owed           BIGINT NOT NULL DEFAULT 0 CHECK (recourse_owed >= 0),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Defence in depth behind the row lock: a line can never be overspent.
    CONSTRAINT supplier_line_not_overspent CHECK (financing_committed <= line_limit)
);

-- A unified social credit code belongs to one supplier (reference-style lookup table).
CREATE TABLE supplier_credit_codes (
    credit_code TEXT PRIMARY KEY,
    supplier_id UUID NOT NULL REFERENCES suppliers (id)
);

CREATE TABLE receivables (
    supplier_id           UUID NOT NULL REFERENCES suppliers (id),
    id                    UUID NOT NULL,
    external_reference    TEXT NOT NULL CHECK (length(external_reference) BETWEEN 1 AND 200),
    face_amount           BIGINT NOT NULL CHECK (face_amount > 0),
    adjusted_amount       BIGINT NOT NULL DEFAULT 0 CHECK (adjusted_amount >= 0),
    currency              CHAR(3) NOT NULL,
    issue_date            DATE NOT NULL,
    due_date              DATE NOT NULL CHECK (due_date >= issue_date),
    status                TEXT NOT NULL CHECK (status IN ('open', 'financed', 'settled', 'disputed', 'cancelled')),
    status_before_dispute TEXT CHECK (status_before_dispute IN ('open', 'financed')),
    financing_request_id  UUID,
    -- The platform's order reference when the receivable is the proceeds of one order (issue 8).
    order_ref             TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, id),
    UNIQUE (supplier_id, external_reference),
    CHECK ((status = 'disputed') = (status_before_dispute IS NOT NULL))
);
CREATE INDEX receivables_id ON receivables (id);
CREATE INDEX receivables_due ON receivables (due_date, status);
CREATE INDEX receivables_supplier_status ON receivables (supplier_id, status, due_date);

CREATE TABLE receivable_adjustments (
    supplier_id   UUID NOT NULL,
    receivable_id UUID NOT NULL,
    id            UUID NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('goods_returned', 'credit_note')),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    currency      CHAR(3) NOT NULL,
    reference     TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_id, id),
    UNIQUE (supplier_id, receivable_id, reference),
    FOREIGN KEY (supplier_id, receivable_id) REFERENCES receivables (supplier_id, id)
);

CREATE TABLE financing_requests (
    supplier_id        UUID NOT NULL REFERENCES suppliers (id),
    id                 UUID NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('approved', 'pending_review', 'declined', 'rejected')),
    currency           CHAR(3) NOT NULL,
    advance            BIGINT NOT NULL CHECK (advance >= 0),
    fee                BIGINT NOT NULL CHECK (fee >= 0),
    net_disbursement   BIGINT NOT NULL CHECK (net_disbursement >= 0),
    disbursement_date  DATE NOT NULL,
    -- The full decision as answered (lines, reasons, totals), for audit and replay.
    decision           JSONB NOT NULL,
    requested_by       TEXT NOT NULL,
    decided_by         TEXT,
    disbursed_entry_id UUID,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at         TIMESTAMPTZ,
    PRIMARY KEY (supplier_id, id)
);
CREATE INDEX financing_requests_id ON financing_requests (id);

CREATE TABLE financing_items (
    supplier_id          UUID NOT NULL,
    financing_request_id UUID NOT NULL,
    receivable_id        UUID NOT NULL,
    advance              BIGINT NOT NULL CHECK (advance > 0),
    fee                  BIGINT NOT NULL CHECK (fee >= 0),
    fee_days             INT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'active', 'settled', 'void')),
    PRIMARY KEY (supplier_id, financing_request_id, receivable_id),
    FOREIGN KEY (supplier_id, financing_request_id) REFERENCES financing_requests (supplier_id, id),
    FOREIGN KEY (supplier_id, receivable_id) REFERENCES receivables (supplier_id, id)
);
-- The database's own guarantee that a receivable is never financed twice.
CREATE UNIQUE INDEX financing_items_one_live_per_receivable
    ON financing_items (supplier_id, receivable_id) WHERE status IN ('pending', 'active');
