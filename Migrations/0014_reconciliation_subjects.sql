-- Every statement line and ledger item ends each night matched or in exactly one open exception:
-- an exception names the line and the ledger item it is about, so a newer verdict on either closes
-- the older one (resolved by the run), and a match closes every open exception about what matched.

ALTER TABLE reconciliation_exceptions
    -- The statement line (`<statement id>/<line no>`) the exception is about, if any.
    ADD COLUMN line_ref TEXT,
    -- The ledger item (journal entry id) the exception is about, if any.
    ADD COLUMN item_ref TEXT;

-- Exceptions raised before: their subjects are spelled in their dedupe keys
-- (mfl:<line>, dup:<line>, mfs:<item>, am:<item>:<line>, dm:<item>:<line>).
UPDATE reconciliation_exceptions SET
    line_ref = CASE split_part(dedupe_key, ':', 1)
                   WHEN 'mfl' THEN substr(dedupe_key, 5) WHEN 'dup' THEN substr(dedupe_key, 5)
                   WHEN 'am' THEN split_part(dedupe_key, ':', 3) WHEN 'dm' THEN split_part(dedupe_key, ':', 3) END,
    item_ref = CASE split_part(dedupe_key, ':', 1)
                   WHEN 'mfs' THEN substr(dedupe_key, 5)
                   WHEN 'am' THEN split_part(dedupe_key, ':', 2) WHEN 'dm' THEN split_part(dedupe_key, ':', 2) END
WHERE split_part(dedupe_key, ':', 1) IN ('mfl', 'dup', 'mfs', 'am', 'dm');

-- Only open exceptions are ever looked up by subject.
CREATE INDEX reconciliation_exceptions_open_line ON reconciliation_exceptions (line_ref) WHERE state <> 'resolved' AND line_ref IS NOT NULL;
CREATE INDEX reconciliation_exceptions_open_item ON reconciliation_exceptions (item_ref) WHERE state <> 'resolved' AND item_ref IS NOT NULL;

-- A line that names several ledger items without an amount each (a bank batch booking whose
-- transactions carry only their end-to-end ids) keeps the names: it matches those items as a group.
ALTER TABLE statement_lines ADD COLUMN named_refs TEXT[];
ALTER TABLE reconciliation_run_lines ADD COLUMN named_refs TEXT[];
