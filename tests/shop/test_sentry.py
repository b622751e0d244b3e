"""Errors reach Sentry when SENTRY_DSN is set, tagged with the request id and without personal
data; with no DSN the SDK is never started. Each case boots a service in a process of its own,
since the SDK is global to a process."""

import gzip
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shop.observability import sentry

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ADDRESS = "203.0.113.77"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-token-value"
COOKIE_VALUE = "session-cookie-value-4711"
EMAIL = "alice.personal@example.com"

# An unhandled error in a view, served through the service's real WSGI application.
FAILING_REQUEST = textwrap.dedent(
    f"""
    import io, sys, types, wsgiref.util

    import django

    django.setup()
    import sentry_sdk
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt
    def fail(request):
        raise RuntimeError("the view broke")

    urls = types.ModuleType("failing_urls")
    urls.urlpatterns = [path("api/products/fail/", fail)]
    sys.modules["failing_urls"] = urls
    settings.ROOT_URLCONF = "failing_urls"

    body = b'{{"email": "{EMAIL}"}}'
    environ = {{
        "REQUEST_METHOD": "POST",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "PATH_INFO": "/api/products/fail/",
        "REMOTE_ADDR": "{CLIENT_ADDRESS}",
        "HTTP_X_FORWARDED_FOR": "{CLIENT_ADDRESS}",
        "HTTP_X_REAL_IP": "{CLIENT_ADDRESS}",
        "HTTP_AUTHORIZATION": "Bearer {TOKEN}",
        "HTTP_COOKIE": "basket={COOKIE_VALUE}",
        "HTTP_X_REQUEST_ID": "req-sentry-1",
        "CONTENT_TYPE": "application/json",
    }}
    wsgiref.util.setup_testing_defaults(environ)
    statuses = []
    answer = get_wsgi_application()(environ, lambda status, headers, *_: statuses.append(status))
    b"".join(answer)
    print(statuses[0].split()[0], sentry_sdk.get_client().is_active(), flush=True)
    sentry_sdk.flush(timeout=10)
    """
)


class Ingest:
    """A stand-in for Sentry's ingest endpoint on 127.0.0.1: keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                ingest.envelopes.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_address[1]}/42"

    def events(self) -> list[dict]:
        """The error events among the envelopes (a header line, then item header and payload
        lines)."""
        events = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for item_header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(item_header).get("type") == "event":
                    events.append(json.loads(payload))
        return events


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    yield server
    server.server.shutdown()
    server.server.server_close()


def run_service(code: str, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    env.update(variables, DJANGO_SETTINGS_MODULE="products.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_without_a_dsn_sentry_is_never_initialized(ingest):
    result = run_service(FAILING_REQUEST)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["500", "False"]
    assert ingest.envelopes == []


def test_sentry_init_does_nothing_without_a_dsn(monkeypatch):
    def refuse(**options: object) -> None:
        raise AssertionError("sentry_sdk.init called without a DSN")

    monkeypatch.setattr("sentry_sdk.init", refuse)

    assert not sentry.sentry_init(dsn="", environment="test", release=None, traces_sample_rate=0)


def test_an_unhandled_view_error_reaches_sentry_with_the_request_id_and_no_personal_data(ingest):
    result = run_service(
        FAILING_REQUEST,
        SENTRY_DSN=ingest.dsn,
        SENTRY_RELEASE="shop@1.2.3",
        DJANGO_ENV="staging",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["500", "True"]
    (event,) = ingest.events()
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["tags"]["service"] == "products"
    assert (event["environment"], event["release"]) == ("staging", "shop@1.2.3")
    assert "ip_address" not in event.get("user", {})
    assert "cookies" not in event["request"]
    assert not event["request"].get("data")  # no request body
    raw = b"".join(ingest.envelopes).decode()
    for personal in (CLIENT_ADDRESS, TOKEN, COOKIE_VALUE, EMAIL):
        assert personal not in raw
    # Its log line carries the same request id.
    (error_line,) = [
        json.loads(line)
        for line in result.stderr.splitlines()
        if line.startswith("{") and json.loads(line)["level"] == "ERROR"
    ]
    assert error_line["request_id"] == "req-sentry-1"
