"""Every service's OpenAPI schema, fuzzed through the gateway with Schemathesis.

Each operation of each schema (`/api/schema/<service>/`, as the gateway serves it) is called
with requests Schemathesis derives from the schema: explicit examples, its coverage phase
(boundary and invalid values of every parameter and field) and MAX_EXAMPLES generated ones,
valid and invalid, from a fixed seed (derandomized: the same requests on every run). Each
request goes out as an anonymous client, a customer or staff (chosen by a hash of the request,
so that a replay is the same request), and its answer must be:

- never a 5xx (`not_a_server_error`);
- a status code the operation documents (`status_code_conformance`);
- a body that matches what the schema says for that status (`response_schema_conformance`).

No operation is excluded. The path parameters and some body fields (order lines, SKUs, slugs,
parent categories, emails, cards) are sometimes drawn from objects that exist, so that updates,
deletions, payments and cancellations reach the code behind a found object and not only a 404
or a 400. Destructive operations (deletions, stock adjustments, cancellations, every staff-only
write) are fuzzed too: the stack is this suite's own (conftest.py). The schema endpoints
themselves are not in the schemas (SERVE_INCLUDE_SCHEMA is off). The sign-in and refresh
endpoints mostly meet the gateway's limit (a burst of 10, then 1 a second per address): a
documented 429, and what a client would meet too.
"""

import json
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from shop import SERVICES
from tests.harness import CUSTOMER_PASSWORD, STAFF, Shop

SEED = 9
# Generated examples per operation (the coverage phase adds its own, bounded by the schema).
MAX_EXAMPLES = 60
ROLES = ("anonymous", "customer", "staff")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Access tokens live 5 minutes; a fresh one is fetched well before.
TOKEN_REFRESH_SECONDS = 180
TEST_CARDS = ("4242424242424242", "4000000000000002")

requests_sent: Counter[tuple[str, str]] = Counter()


@dataclass
class World:
    """What exists on the stack for the fuzzer to find, and the callers' tokens."""

    shop: Shop
    customer: tuple[str, str]
    # Existing values, by path parameter and by body field.
    known: dict[str, list] = field(default_factory=dict)
    known_fields: dict[str, list] = field(default_factory=dict)
    product_ids: list[int] = field(default_factory=list)
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    def stable(self, value: object) -> object:
        """`value`, or for an existing object's id, SKU or name its place among them."""
        for name, values in (*self.known.items(), *self.known_fields.items()):
            if isinstance(value, (int, str)) and not isinstance(value, bool) and value in values:
                return f"<{name} {values.index(value)}>"
        return value

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self._token(role)}"}

    def _token(self, role: str) -> str:
        fetched, token = self._tokens.get(role, (0.0, ""))
        if time.monotonic() - fetched > TOKEN_REFRESH_SECONDS:
            # At the users service itself: the gateway's sign-in limit, which the fuzzer meets
            # on the token endpoint, must not stop the suite from signing its callers in.
            username, password = STAFF if role == "staff" else self.customer
            response = requests.post(
                self.shop.stack.url("users") + "/api/auth/token/",
                json={"username": username, "password": password},
                timeout=10,
            )
            response.raise_for_status()
            token = response.json()["access"]
            self._tokens[role] = (time.monotonic(), token)
        return token


@pytest.fixture(scope="module")
def world(shop: Shop) -> World:
    username = f"fuzz-{uuid.uuid4().hex[:8]}"
    registered = shop.api.call(
        "POST",
        "users",
        "/api/auth/register/",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": CUSTOMER_PASSWORD,
        },
    )
    assert registered.status_code == 201, registered.text
    world = World(shop=shop, customer=(username, CUSTOMER_PASSWORD))
    # The session's token may be older than its 5 minutes by now.
    shop.staff_token = world._token("staff")
    parent = shop.api.call(
        "POST",
        "products",
        "/api/categories/",
        token=shop.staff_token,
        json={"name": "Fuzz parent", "slug": "fuzz-parent"},
    ).json()
    child = shop.api.call(
        "POST",
        "products",
        "/api/categories/",
        token=shop.staff_token,
        json={"name": "Fuzz child", "slug": "fuzz-child", "parent": parent["id"]},
    ).json()
    world.product_ids = [shop.new_product(price="5.00", stock=50) for _ in range(3)]
    customer_token = world._token("customer")
    orders = [
        shop.place(customer_token, [{"product_id": product_id, "quantity": 1}])["id"]
        for product_id in world.product_ids
    ]
    for order_id in orders:
        shop.wait_status(customer_token, order_id, "awaiting_payment")
    categories = [parent["id"], child["id"]]
    products = [
        shop.api.call("GET", "products", f"/api/products/{product_id}/").json()
        for product_id in world.product_ids
    ]
    world.known_fields = {
        "category": categories,
        "parent": categories,
        "sku": [product["sku"] for product in products],
        "slug": [product["slug"] for product in products] + [parent["slug"], child["slug"]],
        "username": [username, STAFF[0]],
        "email": [f"{username}@example.com", f"{STAFF[0]}@example.com"],
        "card_number": list(TEST_CARDS),
    }
    world.known = {
        "id": world.product_ids,
        "product_id": world.product_ids,
        "slug": [parent["slug"], child["slug"]],
        "username": [username, STAFF[0]],
        "order_id": orders,
    }
    return world


@pytest.fixture(params=SERVICES)
def service_schema(request: pytest.FixtureRequest, shop: Shop, world: World):
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": shop.stack.gateway_url,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{shop.stack.gateway_url}/api/schema/{request.param}/?format=json", config=config
    )

    @schema.hook
    def flatmap_path_parameters(context, path_parameters: dict) -> st.SearchStrategy:
        known = {name: world.known[name] for name in path_parameters or {} if name in world.known}
        if not known:
            return st.just(path_parameters)
        existing = st.fixed_dictionaries(
            {name: st.sampled_from(values) for name, values in known.items()}
        ).map(lambda chosen: {**path_parameters, **chosen})
        return st.one_of(st.just(path_parameters), existing)

    @schema.hook
    def flatmap_body(context, body) -> st.SearchStrategy:
        if not isinstance(body, dict):
            return st.just(body)
        # Values that name something that exists (a taken SKU or slug, a real category as a
        # parent, a test card): where uniqueness, trees and payments are checked.
        choices = {
            name: st.one_of(st.just(value), st.sampled_from(world.known_fields[name]))
            for name, value in body.items()
            if name in world.known_fields
        }
        lines = body.get("items")
        if isinstance(lines, list) and lines and all(isinstance(line, dict) for line in lines):
            choices["items"] = st.one_of(
                st.just(lines),
                st.lists(
                    st.sampled_from(world.product_ids), min_size=len(lines), max_size=len(lines)
                ).map(
                    lambda ids: [
                        {**line, "product_id": product_id}
                        for line, product_id in zip(lines, ids, strict=True)
                    ]
                ),
            )
        return st.fixed_dictionaries(choices).map(lambda chosen: {**body, **chosen})

    return schema


# Schemathesis' pytest integration renames the running test after each operation through
# `node._nodeid`, which pytest 9.2 no longer has (its node id is read-only, from `_id`): the
# names stay as pytest made them, and each operation's failure names its operation itself.
if not hasattr(pytest.Function, "_nodeid"):
    pytest.Function._nodeid = property(lambda node: node.nodeid, lambda node, value: None)

schema = schemathesis.pytest.from_fixture("service_schema")


def role_of(case, world: World) -> str:
    """The caller of a request, fixed by what it sends: a replay of a failing request (when
    Hypothesis shrinks it) is made by the same caller, and so is the same request on the next
    run (existing objects, whose ids and SKUs differ between runs, count by their place)."""
    body = case.body
    if isinstance(body, dict):
        body = {name: world.stable(value) for name, value in body.items()}
    path_parameters = {
        name: world.stable(value) for name, value in (case.path_parameters or {}).items()
    }
    sent = json.dumps(
        [case.method, case.path, path_parameters, case.query, body], sort_keys=True, default=repr
    )
    return ROLES[zlib.crc32(sent.encode()) % len(ROLES)]


@pytest.fixture(scope="module", autouse=True)
def _report_requests(request: pytest.FixtureRequest, shop: Shop) -> Iterator[None]:
    """How many requests each operation was sent: printed per service, and kept per operation
    in the suite's artifacts (`schema-fuzz.json`)."""
    yield
    if not requests_sent:
        return
    per_operation: dict[str, dict[str, int]] = {}
    for (service, label), count in sorted(requests_sent.items()):
        per_operation.setdefault(service, {})[label] = count
    artifacts = shop.stack.config.log_dir.parent
    (artifacts / "schema-fuzz.json").write_text(json.dumps(per_operation, indent=2) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for service in SERVICES:
            operations = per_operation.get(service, {})
            reporter.write_line(
                f"schema fuzz, {service}: {len(operations)} operations, "
                f"{sum(operations.values())} requests"
            )


@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case, world: World) -> None:
    service = case.operation.schema.raw_schema["info"]["title"].split()[1]
    requests_sent[(service, case.operation.label)] += 1
    case.call_and_validate(headers=world.headers(role_of(case, world)), checks=CHECKS)
