"""The request id: one per HTTP request, carried by every message and task the request causes.

The gateway sets `X-Request-ID` on every request. A service keeps it in a context variable while
it serves the request; the log formatter writes it in every line, the outbox records it in every
message's headers, and a worker binds it again while it runs that message's task, so a saga
started by one request keeps one id through every service it touches.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.utils.log import log_response

if TYPE_CHECKING:
    from celery import Task
    from django.http import HttpRequest, HttpResponse

HTTP_HEADER = "X-Request-ID"
# The key in a Celery message's headers; Celery shows it to the task as `task.request.request_id`
# (and in `task.request.headers`, which `task.retry()` publishes again).
MESSAGE_HEADER = "request_id"
# The gateway's own rule for a client's id: anything else is replaced, so a direct caller cannot
# put a megabyte or a line break into every log line and message the request causes.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Probes and metrics are scraped every few seconds; a line for each would drown the rest.
UNLOGGED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# One line per request served, with its status and duration: what gunicorn's access log said,
# in JSON and with the request id.
request_logger = logging.getLogger("shop.requests")

_current: ContextVar[str | None] = ContextVar("shop_request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: Any) -> str | None:
    """`value` if it is an acceptable request id, else None."""
    if isinstance(value, str) and VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


@contextmanager
def bound_request_id(request_id: str) -> Iterator[str]:
    """Make `request_id` the current one inside the block, then restore the previous one."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def message_headers() -> dict[str, str]:
    """The headers a message recorded now carries: the current request id, if there is one."""
    request_id = current_request_id()
    return {MESSAGE_HEADER: request_id} if request_id else {}


class RequestIdMiddleware:
    """Binds the request's id (the gateway's `X-Request-ID`, or a new one for a direct call)
    while the request is served, returns it on the response and logs one line per request."""

    def __init__(self, get_response: Callable[["HttpRequest"], "HttpResponse"]) -> None:
        self.get_response = get_response

    def __call__(self, request: "HttpRequest") -> "HttpResponse":
        request_id = valid_request_id(request.headers.get(HTTP_HEADER)) or new_request_id()
        started = time.monotonic()
        with bound_request_id(request_id):
            response = self.get_response(request)
            response[HTTP_HEADER] = request_id
            if response.status_code >= 400:
                # Django logs a 4xx or 5xx answer after the last middleware returned, outside
                # the request's id; logged here (the same line), it is not logged again there.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            if request.path not in UNLOGGED_PATHS:
                # The path without its query string, which may hold search terms or tokens.
                request_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
        return response


# Celery signal receivers (connected in workers.app): a task runs with the request id its message
# carries; one without (started by beat, or published before request ids existed) gets a new one.


def bind_task_request_id(task: "Task", **_: Any) -> None:
    request = task.request
    headers = request.headers or {}
    request_id = valid_request_id(headers.get(MESSAGE_HEADER)) or valid_request_id(
        getattr(request, MESSAGE_HEADER, None)
    )
    if request_id is None:
        request_id = new_request_id()
        # `task.retry()` publishes these headers again: the retries keep the id.
        request.headers = {**headers, MESSAGE_HEADER: request_id}
    request.shop_request_id_token = _current.set(request_id)


def unbind_task_request_id(task: "Task", **_: Any) -> None:
    token = getattr(task.request, "shop_request_id_token", None)
    if token is not None:
        _current.reset(token)
