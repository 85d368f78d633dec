-- GET /v1/statements pages newest import first by (imported_at, id) (issue 16: every list pages the
-- same way, keyset on the sort key and the id). statements is written once per imported file, far
-- off the checkout path, so one more index costs nothing there.
CREATE INDEX statements_newest ON statements (imported_at, id);
