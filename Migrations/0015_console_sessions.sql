-- Operator console sessions (issue 18). The browser holds a random session id in an HttpOnly
-- cookie; only its SHA-256 is stored, so a copy of this table signs nobody in. A session belongs
-- to one operator API key: revoking the key ends its sessions (the lookup joins the live key).
CREATE TABLE console_sessions (
    id_hash      BYTEA PRIMARY KEY CHECK (length(id_hash) = 32),
    key_id       UUID NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    -- Every console form carries this token; a POST whose token differs is refused (403).
    csrf_token   TEXT NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 128),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Idle expiry, pushed forward on each use; never past created_at + the absolute lifetime.
    expires_at   TIMESTAMPTZ NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_key ON console_sessions (key_id);

-- The console's financing review queue lists requests waiting for an operator, oldest first.
CREATE INDEX financing_requests_in_review ON financing_requests (created_at, id) WHERE status = 'pending_review';
