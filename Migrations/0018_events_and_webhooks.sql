-- News out (issue 17): a transactional outbox of business events, webhook endpoints, and the
-- deliveries and attempts that carry each event to each endpoint.
--
-- An event is written by the use case's own transaction, so it exists exactly when the business
-- change committed. `body` is the event's JSON text exactly as it is delivered and served (the
-- signature is computed over these bytes, so they never change). The same statement that inserts
-- an event fans it out into one delivery per enabled endpoint that wants its type (see
-- EventStore.append), so there is no dispatcher, no high-water mark that a late-committing event
-- could slip under, and no second write of every event; with no endpoints, an event costs one row.
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    id            UUID NOT NULL UNIQUE,
    type          TEXT NOT NULL CHECK (type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$' AND length(type) <= 100),
    object_type   TEXT NOT NULL CHECK (object_type ~ '^[a-z][a-z_]*$' AND length(object_type) <= 64),
    object_id     TEXT NOT NULL CHECK (length(object_id) BETWEEN 1 AND 200),
    business_date DATE NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX events_by_type ON events (type, seq);
CREATE INDEX events_by_object ON events (object_type, object_id, seq);

-- Events are facts: never changed and never deleted.
CREATE FUNCTION events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'events are never deleted' USING ERRCODE = '55000';
    END IF;
    RAISE EXCEPTION 'events are immutable' USING ERRCODE = '55000';
END $$;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_immutable();

-- Where the platform wants its news. The secret signs deliveries; it is shown once, at creation.
-- `status`: enabled endpoints get deliveries; `disabled` ones (by the operator, or automatically
-- after failing for the policy's window) get none until re-enabled. `failing_since` and
-- `consecutive_failures` tell the operator an enabled endpoint is not answering.
CREATE TABLE webhook_endpoints (
    id                   UUID PRIMARY KEY,
    url                  TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types          TEXT[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 100),
    description          TEXT CHECK (description IS NULL OR length(description) BETWEEN 1 AND 200),
    secret               TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    failing_since        TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at           TIMESTAMPTZ
);

-- One event to one endpoint: at most one delivery (the unique key), retried until it succeeds or
-- its window closes. `next_attempt_at` doubles as the lease: a worker that claims a delivery moves
-- it forward by the attempt timeout first, so a worker killed mid-attempt leaves it to be retried.
CREATE TABLE webhook_deliveries (
    id              UUID PRIMARY KEY,
    endpoint_id     UUID NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       BIGINT NOT NULL REFERENCES events (seq),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at    TIMESTAMPTZ,
    UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);

-- Every attempt, for the operator: status (or the transport error), latency and the start of the
-- receiver's answer (at most 1000 characters).
CREATE TABLE webhook_attempts (
    id            BIGSERIAL PRIMARY KEY,
    delivery_id   UUID NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at  TIMESTAMPTZ NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER NOT NULL CHECK (latency_ms >= 0),
    error         TEXT CHECK (error IS NULL OR length(error) <= 1000),
    response_body TEXT CHECK (response_body IS NULL OR length(response_body) <= 1000)
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
