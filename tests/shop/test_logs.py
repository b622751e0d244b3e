"""Log lines: one JSON object per event, with the service and the id of the request behind it."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from shop.observability.request_id import bound_request_id

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger("tests.shop.observability.logs")


def test_a_request_logs_one_json_line_with_the_service_and_its_request_id(db, log_lines):
    response = Client().get("/api/products/?search=mug", HTTP_X_REQUEST_ID="req-log-1")

    (line,) = [line for line in log_lines() if line["logger"] == "shop.requests"]
    assert response.status_code == 200
    assert line["message"] == "GET /api/products/ 200"
    assert line["level"] == "INFO"
    assert (line["service"], line["request_id"]) == ("products", "req-log-1")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/products/", 200)
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    assert list(line)[:6] == ["time", "level", "logger", "message", "service", "request_id"]
    assert "search=mug" not in str(line)  # query strings may hold what people searched for


def test_a_failed_request_logs_its_error_under_its_request_id(db, log_lines):
    Client().get("/api/products/999999/", HTTP_X_REQUEST_ID="req-log-404")

    lines = log_lines()
    assert {line["logger"] for line in lines} >= {"django.request", "shop.requests"}
    assert all(line["request_id"] == "req-log-404" for line in lines)


def test_probes_are_not_logged(log_lines):
    Client().get("/healthz")

    assert log_lines() == []


def test_an_exception_is_in_its_line_and_the_line_stays_one_line(log_lines):
    with bound_request_id("req-log-2"):
        try:
            raise ValueError("the stock went negative")
        except ValueError:
            logger.exception("reserving failed", extra={"order_id": "o-1"})

    (line,) = log_lines()
    assert (line["level"], line["message"], line["request_id"]) == (
        "ERROR",
        "reserving failed",
        "req-log-2",
    )
    assert "ValueError: the stock went negative" in line["exception"]
    assert "Traceback" in line["exception"]
    assert line["order_id"] == "o-1"


def test_a_line_outside_any_request_has_no_request_id(log_lines):
    logger.warning("relay could not publish")

    (line,) = log_lines()
    assert line["request_id"] is None
    assert line["service"] == "products"


def test_task_arguments_that_celery_attaches_are_left_out(log_lines):
    logger.info("Task %s received", "users.notification_send", extra={"data": {"email": "x@y"}})

    (line,) = log_lines()
    assert "data" not in line
    assert "x@y" not in str(line)


def run_with_log_format(log_format: str) -> subprocess.CompletedProcess:
    code = (
        "import django, logging; django.setup()\n"
        "from shop.observability.request_id import bound_request_id\n"
        "with bound_request_id('req-plain'):\n"
        "    logging.getLogger('probe').warning('hello')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orders.settings"}
    env["DJANGO_LOG_FORMAT"] = log_format
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_plain_format_names_the_service_and_request_id():
    result = run_with_log_format("plain")

    assert result.returncode == 0, result.stderr
    assert "WARNING probe [orders req-plain] hello" in result.stderr


@pytest.mark.parametrize("log_format", ["xml", "JSON "])
def test_an_unknown_log_format_is_refused(log_format):
    result = run_with_log_format(log_format)

    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT" in result.stderr
