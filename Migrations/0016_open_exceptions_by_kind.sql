-- /metrics reads the open reconciliation exceptions by kind at every scrape: a partial index keeps
-- that an index-only scan of the open ones, however many resolved ones pile up.
CREATE INDEX reconciliation_exceptions_open_kind ON reconciliation_exceptions (kind) WHERE state <> 'resolved';
