-- The nightly close of business: runs and their steps, imported statements and their lines,
-- reconciliation exceptions with their workflow.

CREATE TABLE nightly_runs (
    id            UUID PRIMARY KEY,
    business_date DATE NOT NULL,
    -- A forced re-run of a finished date is a new attempt; attempt 1 is the normal run.
    attempt       INT NOT NULL CHECK (attempt >= 1),
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    triggered_by  TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    report        JSONB,
    report_path   TEXT,
    UNIQUE (business_date, attempt)
);

CREATE TABLE nightly_steps (
    run_id       UUID NOT NULL REFERENCES nightly_runs (id),
    position     INT NOT NULL,
    step         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    counts       JSONB NOT NULL DEFAULT '{}',
    error        TEXT,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    PRIMARY KEY (run_id, step)
);

CREATE TABLE statements (
    id              UUID PRIMARY KEY,
    format          TEXT NOT NULL CHECK (format IN ('camt053', 'settlement_csv')),
    -- SHA-256 of the file; the same file imported twice is the same import.
    file_hash       TEXT NOT NULL,
    statement_ref   TEXT NOT NULL,
    account         TEXT,
    currency        CHAR(3) NOT NULL,
    opening_balance BIGINT,
    closing_balance BIGINT,
    credits         BIGINT NOT NULL DEFAULT 0,
    debits          BIGINT NOT NULL DEFAULT 0,
    computed_closing BIGINT,
    balance_verdict TEXT NOT NULL CHECK (balance_verdict IN ('balanced', 'unbalanced', 'not_checkable')),
    entry_count     INT NOT NULL DEFAULT 0,
    imported_by     TEXT NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (file_hash, statement_ref)
);

CREATE TABLE statement_lines (
    statement_id UUID NOT NULL REFERENCES statements (id) DEFERRABLE INITIALLY DEFERRED,
    line_no      INT NOT NULL,
    reference    TEXT,
    amount       BIGINT NOT NULL,
    currency     CHAR(3) NOT NULL,
    value_date   DATE NOT NULL,
    source       TEXT NOT NULL,
    batch_ref    TEXT,
    PRIMARY KEY (statement_id, line_no)
);
CREATE INDEX statement_lines_date ON statement_lines (value_date);

CREATE TABLE reconciliation_exceptions (
    id             UUID PRIMARY KEY,
    business_date  DATE NOT NULL,
    kind           TEXT NOT NULL,
    reference      TEXT,
    expected_amount BIGINT,
    actual_amount  BIGINT,
    currency       CHAR(3),
    detail         TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    acknowledged_by TEXT,
    acknowledged_on DATE,
    resolved_by    TEXT,
    resolved_on    DATE,
    resolution_note TEXT,
    -- Re-running a date raises each exception once.
    dedupe_key     TEXT NOT NULL UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((state = 'resolved') = (resolution_note IS NOT NULL))
);
CREATE INDEX reconciliation_exceptions_date ON reconciliation_exceptions (business_date, state);
