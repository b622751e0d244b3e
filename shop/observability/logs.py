"""Log lines: one JSON object per event, naming the service and the request that caused it.

`settings.LOGGING` puts `ContextFilter` and `JsonFormatter` on the one console handler of every
process (web, worker, relay, beat), so whatever logs (Django, Celery, gunicorn's workers, our
code) writes the same shape of line:
`{"time", "level", "logger", "message", "service", "request_id", ["exception"], ...extra}`.
"""

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from shop.observability.request_id import current_request_id

# Extras others attach that must not become fields: Django's request object (its repr says
# nothing the message does not) and Celery's `data`, which holds a task's arguments, and with
# them personal data such as an email's context.
UNLOGGED_EXTRAS = ("request", "data")


class ContextFilter(logging.Filter):
    """Adds `service` and `request_id` to every record (unless the caller set them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "service"):
            record.service = _service()
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(BaseJsonFormatter):
    def __init__(self, **_: Any) -> None:
        super().__init__(
            ["levelname", "name", "message", "service", "request_id"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            reserved_attrs=[*RESERVED_ATTRS, *UNLOGGED_EXTRAS],
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # First, so that a line reads in time order when a person looks at it.
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)


def configure_logging(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: `config` as usual, and Python's warnings as log lines too
    (`py.warnings`), instead of multi-line text on stderr among the JSON.

    No line shows the caller's file and function, nor the thread's or process's name, so
    records skip collecting them (the logging HOWTO's "Optimization"): every request and every
    task logs a line, and the caller's frame walk was a tenth of what a line cost.
    """
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    logging._srcfile = None  # the HOWTO's documented switch
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _service() -> str | None:
    return getattr(settings, "SHOP_SERVICE", None) if settings.configured else None
