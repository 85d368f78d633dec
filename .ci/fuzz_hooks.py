"""Schemathesis hooks for .ci/fuzz.

A real client sends a fresh Idempotency-Key for each operation it means to perform and the same key
only when it retries the same request. Schemathesis draws header values from the schema, so the
coverage phase sends the same boundary key ("0") with different bodies, and the server rightly
answers 422 "already used with a different request". That measures nothing about the contract, so
every generated request gets a key of its own here; the replay rules have their own tests
(IdempotencyTransactionTests, Tests/fault).
"""
import uuid

import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.headers is not None and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
