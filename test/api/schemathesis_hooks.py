"""Schemathesis hooks for `npm run test:api` (scripts/test-api.mjs).

Three rules of the API cannot be written in JSON Schema, so a generated request can satisfy the document and
still be refused with 400 as docs/api.md says it must be. Each hook below changes only what that one rule
covers, so every other part of the generated request (and every negative case) reaches the API unchanged:

- `:userId` and `:targetId` must differ (following or muting yourself is 400);
- `published` must lie within the retention window and at most 5 minutes ahead (a clock rule);
- `cursor` must be one the API issued for that feed and user (it is HMAC-signed): a made-up, schema-valid
  cursor is dropped. Forged, over-long and repeated cursors stay covered by test/e2e (paging, fuzz).
"""

from datetime import datetime, timezone

import schemathesis


def _is_datetime(value):
    try:
        datetime.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


# `before_call` runs in every phase (examples, coverage, fuzzing, stateful), and schemathesis revalidates a
# case after it, so a case keeps the verdict (valid or not) of what is really sent.
@schemathesis.hook
def before_call(ctx, case, kwargs):
    params = case.path_parameters
    if params and isinstance(params.get("userId"), str) and params.get("targetId") == params["userId"]:
        t = params["targetId"]
        params["targetId"] = (t[:-1] + ("a" if t[-1:] != "a" else "b")) if t else "a"
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("published"), str) and _is_datetime(body["published"]):
        body["published"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    query = case.query
    if query and isinstance(query.get("cursor"), str) and len(query["cursor"]) <= 1024:
        del query["cursor"]
