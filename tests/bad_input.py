"""Bad input every service must answer with a small, fast 4xx in the contract's JSON, in every
mode: what each service's test_bad_input.py sends, and how it checks the answer."""

import time
from collections.abc import Callable
from typing import Any

# 10,000 levels of arrays in 20 KB: far under the body limit, far over Python's recursion limit.
DEEP_JSON = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT_JSON = b'{"a": ' * 5_000 + b"1" + b"}" * 5_000
# What a fast answer is here: the parser refuses the body before doing anything else.
FAST_SECONDS = 0.5


def assert_contract_error(response: Any, status: int) -> dict:
    """`response` is `status` with `{"detail": ...}` as JSON (no page, no traceback)."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"detail"}, body
    assert b"DEBUG = True" not in response.content and b"<html" not in response.content.lower()
    return body


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def send_json(client: Any, method: str, url: str, body: bytes) -> Any:
    return getattr(client, method.lower())(url, data=body, content_type="application/json")


# A URLconf (settings.ROOT_URLCONF) of the service under test plus a view with a bug.
BROKEN_URLCONF = "tests.broken_urls"
BROKEN_PATH = "/test-broken/"
