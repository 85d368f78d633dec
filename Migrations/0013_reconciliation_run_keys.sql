-- The working set of one matching run, materialised once per run instead of once per partition:
-- the unmatched cash items of the window with every reference a counterparty can quote for them
-- (resolved once from reconciliation_aliases), and the unmatched statement lines of the window,
-- each tagged with the bucket of the key that ties it to its counterpart, so a partition is an
-- index range read. Unlogged: a working set the run rebuilds when it resumes, never business state;
-- no primary keys (rows are only ever read by bucket), so writing a million of them stays cheap.

CREATE UNLOGGED TABLE reconciliation_run_items (
    run_id        UUID NOT NULL,
    entry_id      UUID NOT NULL,
    currency      TEXT NOT NULL,
    reference_id  TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    business_date DATE NOT NULL,
    -- Besides reference_id, in the order matching tries them (external reference, order reference).
    aliases       TEXT[] NOT NULL,
    -- 0–1023: hash of the first of its references a line of the window quotes (else its own).
    bucket        INT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_run_items_bucket ON reconciliation_run_items (run_id, bucket);

CREATE UNLOGGED TABLE reconciliation_run_lines (
    run_id       UUID NOT NULL,
    statement_id UUID NOT NULL,
    line_no      INT NOT NULL,
    reference    TEXT,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    value_date   DATE NOT NULL,
    -- `channel:<name>` or the statement's account.
    source       TEXT NOT NULL,
    batch_ref    TEXT,
    -- 0–1023: hash of the reference (or batch reference) that is an item's key, else of the reference.
    bucket       INT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_run_lines_bucket ON reconciliation_run_lines (run_id, bucket);
