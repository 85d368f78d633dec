-- API keys, idempotency records and the audit trail of who changed what.

CREATE TABLE api_keys (
    id          UUID PRIMARY KEY,
    -- SHA-256 of the whole key; the key itself is shown once and never stored.
    key_hash    BYTEA NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- The first characters, to recognise a key in a list without revealing it.
    key_prefix  TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('operator', 'platform', 'supplier', 'insurer')),
    supplier_id UUID,
    label       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ,
    CHECK ((role = 'supplier') = (supplier_id IS NOT NULL))
);

CREATE TABLE idempotency_keys (
    caller_id       UUID NOT NULL,
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    method          TEXT NOT NULL,
    route           TEXT NOT NULL,
    request_hash    BYTEA NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
    response_status INT,
    response_body   BYTEA,
    -- An in-flight claim older than this is abandoned (a crashed replica) and may be taken over.
    locked_until    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at    TIMESTAMPTZ,
    PRIMARY KEY (caller_id, idempotency_key),
    CHECK ((state = 'completed') = (response_status IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    detail      JSONB NOT NULL DEFAULT '{}',
    request_id  TEXT,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
