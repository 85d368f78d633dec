-- The double-entry ledger shared by every product area.
-- Amounts are BIGINT minor units with a CHAR(3) ISO 4217 currency; debits are positive.

CREATE TABLE ledger_accounts (
    id              UUID PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_.:-]{0,199}$'),
    name            TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
    currency        CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    owner_type      TEXT NOT NULL CHECK (owner_type IN ('platform', 'supplier', 'credit_account', 'insurer', 'seller')),
    owner_id        TEXT,
    normal_side     TEXT NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    -- Cached sum of postings (debit positive), kept by a trigger in the posting transaction, for
    -- accounts that track it: owner accounts (a supplier's, a consumer's, a seller's), read on hot
    -- paths for limit checks. Platform-wide accounts (cash, income) are touched by every movement;
    -- caching their balance would make one row a lock every transaction queues behind, so their
    -- balance is the sum of their postings, computed when read.
    tracks_balance  BOOLEAN NOT NULL DEFAULT true,
    balance         BIGINT NOT NULL DEFAULT 0,
    CHECK (tracks_balance OR balance = 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (id, currency)
);

CREATE TABLE journal_entries (
    id              UUID PRIMARY KEY,
    business_date   DATE NOT NULL,
    kind            TEXT NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,99}$'),
    reference_type  TEXT NOT NULL,
    reference_id    TEXT NOT NULL,
    -- A business-level idempotency reference: the same movement can never be booked twice.
    idempotency_ref TEXT UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX journal_entries_reference ON journal_entries (reference_type, reference_id);
CREATE INDEX journal_entries_business_date ON journal_entries (business_date);

CREATE TABLE postings (
    entry_id        UUID NOT NULL REFERENCES journal_entries (id),
    line            SMALLINT NOT NULL CHECK (line > 0),
    account_id      UUID NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount <> 0),
    currency        CHAR(3) NOT NULL,
    PRIMARY KEY (entry_id, line),
    -- A posting's currency is its account's currency.
    FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
);
CREATE INDEX postings_account ON postings (account_id);

-- Balanced: checked at COMMIT for every entry touched, so a raw INSERT cannot leave
-- an unbalanced entry behind. At least two postings, zero sum per currency.
CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target UUID;
    n INT;
    unbalanced TEXT;
BEGIN
    IF TG_TABLE_NAME = 'journal_entries' THEN target := NEW.id; ELSE target := NEW.entry_id; END IF;
    SELECT count(*) INTO n FROM postings WHERE entry_id = target;
    IF n < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s); at least two are required', target, n
            USING ERRCODE = '23514', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced FROM (
        SELECT currency, sum(amount) AS total FROM postings WHERE entry_id = target
        GROUP BY currency HAVING sum(amount) <> 0) s;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: %', target, unbalanced
            USING ERRCODE = '23514', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER postings_balanced
    AFTER INSERT ON postings DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_entries_balanced
    AFTER INSERT ON journal_entries DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

-- Posted entries are immutable: corrections are new reversing entries.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: posted ledger entries are immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = '23514', CONSTRAINT = 'ledger_immutable';
END $$;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The cached balance moves with every posting, in the same transaction.
CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id AND tracks_balance;
    RETURN NULL;
END $$;
CREATE TRIGGER postings_apply_balance AFTER INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();
-- The cached balance changes only through postings.
CREATE FUNCTION ledger_guard_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance IS DISTINCT FROM OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger_accounts.balance changes only through postings'
            USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_cached';
    END IF;
    IF NEW.currency IS DISTINCT FROM OLD.currency OR NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'a ledger account''s id and currency never change'
            USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_identity';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_balance();
