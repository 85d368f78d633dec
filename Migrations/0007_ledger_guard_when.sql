-- The balance guard runs only when it could refuse something. Every posting moves a cached
-- balance through postings_apply_balance, and calling the PL/pgSQL guard for each of those
-- updates only to let it pass cost a function call per posting on the hot paths. A WHEN clause
-- is evaluated in C before any function is called: inside the posting trigger the depth is 1,
-- so a balance change made there skips the guard; a direct UPDATE (depth 0) that changes the
-- balance, or any change of id or currency, still reaches it and is refused as before.
DROP TRIGGER ledger_accounts_guard ON ledger_accounts;
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
    FOR EACH ROW
    WHEN ((NEW.balance IS DISTINCT FROM OLD.balance AND pg_trigger_depth() < 1)
          OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION ledger_guard_balance();
