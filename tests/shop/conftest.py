"""Fixtures of the shared code's suite."""

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from shop.observability.logs import JsonFormatter


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """What the process's log handler (configured from settings.LOGGING, as in every service)
    writes during the test, parsed line by line: a line that is no JSON object fails the test."""
    (handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and isinstance(handler.formatter, JsonFormatter)
    ]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        if previous is not None:
            handler.setStream(previous)
