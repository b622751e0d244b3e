"""The gateway behind a TLS-terminating load balancer: only from the balancer's address ranges
does it believe X-Forwarded-For (so that rate limits key on the real client) and
X-Forwarded-Proto (so that the services know the request came over TLS)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.nginx import render
from shop import SERVICES
from tests.gateway.conftest import Gateway, Upstream, config_values, free_port

LOGIN = "/api/auth/token/"
BODY = b'{"username": "alice", "password": "wrong"}'


@pytest.fixture
def balanced_gateway(
    tmp_path: Path, upstreams: dict[str, Upstream], static_root: Path
) -> Iterator[Gateway]:
    """A gateway whose balancer is 127.0.0.1, where the test's requests come from."""
    port = free_port()
    runtime_dir = tmp_path / "nginx"
    addresses = {name: upstream.address for name, upstream in upstreams.items()}
    render.write_standalone(
        config_values(port, addresses, static_root, TRUSTED_PROXIES="10.0.0.0/8,127.0.0.1/32"),
        runtime_dir=runtime_dir,
        output=runtime_dir / "nginx.conf",
        worker_processes="1",
    )
    gateway = Gateway(port=port, runtime_dir=runtime_dir, upstreams=upstreams)
    gateway.start()
    yield gateway
    gateway.stop()


def test_behind_the_balancer_the_services_see_the_client_and_its_scheme(balanced_gateway):
    seen = balanced_gateway.request(
        "GET",
        "/api/users/me/",
        # What the client sent, then what the balancer appended: the client's address.
        headers={"X-Forwarded-For": "198.51.100.66, 203.0.113.7", "X-Forwarded-Proto": "https"},
    ).json()

    assert seen["x_forwarded_for"] == ["203.0.113.7"]
    assert seen["x_forwarded_proto"] == "https"


def test_behind_the_balancer_the_login_limit_keys_on_each_client(balanced_gateway):
    def login_statuses(client: str, attempts: int) -> list[int]:
        headers = {"X-Forwarded-For": client, "X-Forwarded-Proto": "https"}
        return [
            balanced_gateway.request("POST", LOGIN, headers=headers, body=BODY).status
            for _ in range(attempts)
        ]

    guesser = login_statuses("203.0.113.7", 20)
    colleague = login_statuses("203.0.113.8", 3)

    assert guesser.count(429) >= 8, guesser
    assert colleague == [200, 200, 200]


def test_without_trusted_proxies_forwarded_headers_are_ignored(gateway):
    seen = gateway.request(
        "GET",
        "/api/users/me/",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    ).json()

    assert seen["x_forwarded_for"] == ["127.0.0.1"]
    assert seen["x_forwarded_proto"] == "http"


def test_trusted_proxies_must_be_address_ranges():
    with pytest.raises(render.RenderError, match="TRUSTED_PROXIES"):
        render.render_http(
            {
                **config_values(
                    8000,
                    dict.fromkeys(SERVICES, "127.0.0.1:1"),
                    Path("/srv"),
                ),
                "ACCESS_LOG": "/dev/stdout",
                "TRUSTED_PROXIES": "10.0.0.0/8; allow all",
            }
        )
