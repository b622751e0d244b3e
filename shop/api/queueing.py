"""How long a request waited between the gateway and the view: the web processes' own backlog.

The gateway stamps every request it passes on with `X-Request-Start: t=<seconds since the
epoch>` (deploy/nginx/shop.conf.template). When the CPU is saturated, requests queue in front of
the workers; answering the ones that already waited too long with a fast 503 keeps every answer
fast instead of making every client wait for the whole queue.
"""

import time

from rest_framework.request import Request

from shop.errors import Overloaded

REQUEST_START_HEADER = "X-Request-Start"


def request_queue_seconds(request: Request) -> float | None:
    """Seconds since the gateway passed the request on; None without a usable stamp (a direct
    call, or a clock the stamp is ahead of)."""
    stamp = request.headers.get(REQUEST_START_HEADER, "")
    try:
        started = float(stamp.removeprefix("t="))
    except ValueError:
        return None
    waited = time.time() - started
    return waited if waited >= 0 else None


def refuse_when_queued_longer_than(request: Request, limit_seconds: float) -> None:
    """`Overloaded` (503, Retry-After) if the request waited more than `limit_seconds`; a limit
    of 0 never refuses. Called before any work, so a refusal records nothing and costs little."""
    if not limit_seconds:
        return
    waited = request_queue_seconds(request)
    if waited is not None and waited > limit_seconds:
        raise Overloaded(
            "The shop is too busy to take this order now and recorded nothing; "
            "please retry shortly."
        )
