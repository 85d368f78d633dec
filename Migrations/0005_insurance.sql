-- Return shipping insurance (issue 5): policies per order, return events, claims.
--
-- Distribution (ARCHITECTURE.md, "Scaling past one machine"): the hot tables shipping_policies,
-- insurance_return_events and insurance_claims carry policy_id in their primary key and in every
-- unique constraint, so on Citus they are distributed by policy_id and co-located (a policy, its
-- events and its claim live on one shard, and raising a claim is a single-shard transaction).
-- shipping_policy_orders is distributed by order_ref (see there). insurance_category_rates and
-- insurance_route_norms are small configuration tables: reference tables.
-- Money is BIGINT minor units next to a CHAR(3) currency; rates are NUMERIC.

-- Base premium per policy and the loss ratio it is priced for, per product category.
CREATE TABLE insurance_category_rates (
    category            TEXT PRIMARY KEY CHECK (category ~ '^[a-z][a-z0-9_-]{0,63}$'),
    base_premium        BIGINT NOT NULL CHECK (base_premium > 0),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    expected_loss_ratio NUMERIC(9, 6) NOT NULL CHECK (expected_loss_ratio > 0),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Starting rates (CNY, fen); operators tune them with SQL until a configuration API exists.
INSERT INTO insurance_category_rates (category, base_premium, currency, expected_loss_ratio) VALUES
    ('apparel', 80, 'CNY', 0.65),
    ('shoes', 90, 'CNY', 0.65),
    ('bags', 110, 'CNY', 0.65),
    ('cosmetics', 60, 'CNY', 0.65),
    ('home', 120, 'CNY', 0.65),
    ('toys', 99, 'CNY', 0.65),
    ('electronics', 150, 'CNY', 0.65);

-- What return shipping on a route usually costs, where an operator knows it. Without a row here the
-- usual cost is the median of the route's recent shipped returns (see InsuranceClaimStore).
CREATE TABLE insurance_route_norms (
    ship_from_region TEXT NOT NULL,
    ship_to_region   TEXT NOT NULL,
    currency         CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    usual_cost       BIGINT NOT NULL CHECK (usual_cost > 0),
    PRIMARY KEY (ship_from_region, ship_to_region, currency)
);

CREATE TABLE shipping_policies (
    id                  UUID PRIMARY KEY,
    order_ref           TEXT NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 200),
    seller_ref          TEXT NOT NULL CHECK (seller_ref ~ '^[a-z0-9][a-z0-9_.:-]{0,63}$'),
    category            TEXT NOT NULL,
    ship_from_region    TEXT NOT NULL CHECK (length(ship_from_region) BETWEEN 1 AND 64),
    ship_to_region      TEXT NOT NULL CHECK (length(ship_to_region) BETWEEN 1 AND 64),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    coverage_cap        BIGINT NOT NULL CHECK (coverage_cap > 0),
    coverage_start      DATE NOT NULL,
    coverage_end        DATE NOT NULL,
    -- The quote as priced at purchase, every part kept so the premium can be explained later.
    base_premium        BIGINT NOT NULL CHECK (base_premium > 0),
    policies_earned     INT NOT NULL CHECK (policies_earned >= 0),
    credibility         NUMERIC NOT NULL CHECK (credibility >= 0 AND credibility < 1),
    seller_loss_ratio   NUMERIC CHECK (seller_loss_ratio >= 0),
    expected_loss_ratio NUMERIC NOT NULL CHECK (expected_loss_ratio > 0),
    experience_factor   NUMERIC NOT NULL CHECK (experience_factor > 0),
    premium             BIGINT NOT NULL CHECK (premium > 0),
    commission_rate     NUMERIC NOT NULL CHECK (commission_rate BETWEEN 0 AND 1),
    commission          BIGINT NOT NULL CHECK (commission >= 0),
    insurer_share       BIGINT NOT NULL CHECK (insurer_share >= 0),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'expired')),
    -- How far the buyer's return has got; changed only under SELECT ... FOR UPDATE of this row.
    return_stage        TEXT NOT NULL DEFAULT 'none'
                        CHECK (return_stage IN ('none', 'requested', 'shipped', 'delivered_to_seller')),
    business_date       DATE NOT NULL,
    premium_entry_id    UUID NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (coverage_end >= coverage_start),
    CHECK (commission + insurer_share = premium)
);
CREATE INDEX shipping_policies_seller ON shipping_policies (seller_ref, coverage_end);
CREATE INDEX shipping_policies_route ON shipping_policies (ship_from_region, ship_to_region);

-- One policy per order. A UNIQUE (order_ref) on shipping_policies would not contain the
-- distribution key policy_id, so it could not be enforced on Citus; this lookup table is keyed
-- (and distributed) by order_ref instead, its primary key is the global uniqueness, and it is how
-- a return event naming only the order finds its policy. It is written in the same transaction as
-- the policy (no foreign key: the two are distributed by different columns).
CREATE TABLE shipping_policy_orders (
    order_ref TEXT PRIMARY KEY CHECK (length(order_ref) BETWEEN 1 AND 200),
    policy_id UUID NOT NULL
);

-- The platform's return events, at most one of each kind per policy (a redelivery is a no-op).
CREATE TABLE insurance_return_events (
    policy_id       UUID NOT NULL REFERENCES shipping_policies (id),
    event           TEXT NOT NULL CHECK (event IN ('requested', 'shipped', 'delivered_to_seller')),
    occurred_at     TIMESTAMPTZ NOT NULL,
    -- occurred_at's date in the platform's time zone.
    business_date   DATE NOT NULL,
    buyer_ref       TEXT CHECK (length(buyer_ref) BETWEEN 1 AND 200),
    carrier         TEXT CHECK (length(carrier) BETWEEN 1 AND 100),
    -- Upper-cased and trimmed, so the reuse check is not fooled by case or spaces.
    tracking_number TEXT CHECK (length(tracking_number) BETWEEN 1 AND 100),
    shipping_cost   BIGINT CHECK (shipping_cost >= 0),
    currency        CHAR(3) CHECK (currency ~ '^[A-Z]{3}$'),
    recorded_by     TEXT NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, event),
    CHECK ((event = 'requested') = (buyer_ref IS NOT NULL)),
    CHECK ((event = 'shipped') = (carrier IS NOT NULL)),
    CHECK ((event = 'shipped') = (tracking_number IS NOT NULL)),
    CHECK ((event = 'shipped') = (shipping_cost IS NOT NULL)),
    CHECK ((event = 'shipped') = (currency IS NOT NULL))
);
-- The frequent-returner signal: a buyer's return requests in a window.
CREATE INDEX insurance_return_events_buyer ON insurance_return_events (buyer_ref, occurred_at) WHERE event = 'requested';
-- The route-norm fallback: recent shipped costs.
CREATE INDEX insurance_return_events_shipped ON insurance_return_events (occurred_at) WHERE event = 'shipped';

-- At most one claim per policy, enforced here (UNIQUE (policy_id)) and not only by the service.
CREATE TABLE insurance_claims (
    policy_id           UUID NOT NULL REFERENCES shipping_policies (id),
    id                  UUID NOT NULL,
    -- Insertion order, for the insurer's queue and keyset paging; not an identity of the claim.
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY,
    seller_ref          TEXT NOT NULL,
    category            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('in_review', 'approved', 'paid', 'rejected')),
    currency            CHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    shipping_cost       BIGINT NOT NULL CHECK (shipping_cost >= 0),
    -- min(shipping cost, coverage cap): what the claim pays if it is paid.
    amount              BIGINT NOT NULL CHECK (amount >= 0),
    rejection_reasons   TEXT[] NOT NULL DEFAULT '{}',
    flags               TEXT[] NOT NULL DEFAULT '{}',
    carrier             TEXT NOT NULL,
    tracking_number     TEXT NOT NULL,
    buyer_ref           TEXT NOT NULL,
    return_requested_on DATE NOT NULL,
    -- The risk signals as they were when the claim was adjudicated.
    buyer_returns_30d   INT NOT NULL CHECK (buyer_returns_30d >= 0),
    route_usual_cost    BIGINT CHECK (route_usual_cost > 0),
    raised_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    business_date       DATE NOT NULL,
    -- 'system' for automatic decisions, else the insurer's key.
    decided_by          TEXT,
    decided_at          TIMESTAMPTZ,
    decision_reason     TEXT,
    paid_on             DATE,
    paid_at             TIMESTAMPTZ,
    payout_entry_id     UUID,
    PRIMARY KEY (policy_id, id),
    UNIQUE (policy_id),
    CHECK ((status = 'paid') = (payout_entry_id IS NOT NULL AND paid_on IS NOT NULL AND paid_at IS NOT NULL)),
    CHECK (status = 'rejected' OR amount > 0),
    CHECK (status <> 'in_review' OR cardinality(flags) > 0),
    CHECK (status <> 'rejected' OR cardinality(rejection_reasons) > 0)
);
CREATE INDEX insurance_claims_id ON insurance_claims (id);
CREATE INDEX insurance_claims_queue ON insurance_claims (status, seq);
CREATE INDEX insurance_claims_seq ON insurance_claims (seq);
CREATE INDEX insurance_claims_tracking ON insurance_claims (tracking_number);
