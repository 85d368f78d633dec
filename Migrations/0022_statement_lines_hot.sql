-- A night marks every statement line it matches (`matched_by`). With `matched_by` in an index, each
-- such update wrote a new heap tuple and a new entry in every index of the table (the primary key,
-- the date index and the partial open-lines index): at 1M lines, 600,000 of them in one night.
-- With `matched_by` in no index and room left on each page, the update is heap-only (HOT): one new
-- tuple on the same page, no index entry. Measured on a copy of the 1M-line benchmark database, one
-- transaction of 15,000 such updates took 88-101 ms against 172-204 ms, and 40 in a row (600,000
-- lines) were all HOT (Benchmarks/nightly/README.md, session 13).
--
-- * The window's open lines are read through `statement_lines_date` (value_date); the matched lines
--   of a window of a few days are filtered out on the heap.
-- * Returns are read by their reference among the lines that carry a return reason (a few); the
--   matched ones are filtered out on the heap.
-- * `fillfactor = 80` leaves a fifth of each page written from now on free for the matched versions.
-- * A plain CREATE INDEX holds off writes to the table (imports) while it reads it. On a large table
--   an operator builds the index beforehand, `CREATE INDEX CONCURRENTLY statement_lines_returns ...`
--   as below, and this migration keeps it (Deploy/README.md).
CREATE INDEX IF NOT EXISTS statement_lines_returns ON statement_lines (reference) WHERE return_reason IS NOT NULL;
DROP INDEX IF EXISTS statement_lines_open;
DROP INDEX IF EXISTS statement_lines_open_returns;
ALTER TABLE statement_lines SET (fillfactor = 80);
