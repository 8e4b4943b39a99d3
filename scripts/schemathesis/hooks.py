"""schemathesis hooks for the keyauth API (loaded through schemathesis.toml).

- The run's own key (FUZZ_KEY_ID) is never the target of a change: revoking, rerolling or
  narrowing it would lock the rest of the run out. Such a request goes to an unknown id.
- `expiration` is epoch milliseconds after now and within ten years: bounds that move with
  the clock, which a static schema cannot state. An integer the generator picks is moved into
  that window; any other value (null, a wrong type) is sent as generated.
- `cursor` is opaque: only a `nextCursor` the server issued is valid. A generated cursor that
  the server never issued is rightly answered 400 `invalid_cursor`; that one answer is not
  counted as a schema-valid request rejected. Every other check still judges it.
- At exit it prints how the requests were answered, by status (the figures in docs/reliability.md).
"""

import atexit
import collections
import os
import threading
import time

import schemathesis

OWN_KEY_ID = os.environ["FUZZ_KEY_ID"]
UNKNOWN_KEY_ID = "key_" + "0" * 22
HOUR_MS = 3_600_000
NINE_YEARS_MS = 9 * 365 * 24 * HOUR_MS
ISSUED_CURSORS = set()
ANSWERS = collections.Counter()
LOCK = threading.Lock()


@atexit.register
def _print_answers():
    total = sum(ANSWERS.values())
    by_status = ", ".join(f"{status} {n}" for status, n in sorted(ANSWERS.items()))
    print(f"fuzz: {total} requests answered; by status: {by_status}")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.method.upper() != "GET":
        params = case.path_parameters or {}
        if params.get("id") == OWN_KEY_ID:
            params["id"] = UNKNOWN_KEY_ID
    body = case.body
    if case.operation.path == "/keys/{id}" and isinstance(body, dict):
        value = body.get("expiration")
        if isinstance(value, int) and not isinstance(value, bool):
            now = int(time.time() * 1000)
            body["expiration"] = now + HOUR_MS + abs(value) % NINE_YEARS_MS


def _json(response):
    try:
        return response.json()
    except Exception:  # not JSON: nothing to learn from it
        return None


@schemathesis.hook
def after_call(ctx, case, response):
    with LOCK:
        ANSWERS[response.status_code] += 1
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("nextCursor"), str):
        ISSUED_CURSORS.add(body["nextCursor"])


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if failure.code != "ST202" or response.status_code != 400:
        return True
    body = _json(response)
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    cursor = (case.query or {}).get("cursor")
    invented = cursor is not None and cursor not in ISSUED_CURSORS
    return not (code == "invalid_cursor" and invented)
