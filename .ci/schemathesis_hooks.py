"""Schemathesis hooks for Tenantry's CI run (loaded through SCHEMATHESIS_HOOKS).

Schema-valid (positive) cases are sent the way a well-behaved client sends them where no schema
can say what that is:

An Idempotency-Key is the client's promise that two requests are the same one: the server
answers a reused key with another body 422 `idempotency_key_reused`, as Stripe does. No schema
can say "unique per request", so schema-valid (positive) cases get a fresh key here, the way a
well-behaved client sends one; negative cases keep the key schemathesis generated, so malformed
keys are still tried.

A `cursor` (the events feed's `after`) is a value this API returned (`nextCursor`); a made-up one is 400 `invalid_cursor`.
Positive cases leave it out; negative cases still send made-up ones.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, **kwargs):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    positive = mode is None or mode.is_positive
    if positive and case.query:
        case.query.pop("cursor", None)
        case.query.pop("after", None)
    if case.method.upper() == "POST" and positive:
        if case.headers is None:
            case.headers = {}
        for name in list(case.headers):
            if name.lower() == "idempotency-key":
                del case.headers[name]
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
