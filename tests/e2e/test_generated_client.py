"""A client generated from the shop's own schemas drives the saga: what a team consuming the API
does first. Each service's schema is fetched from the gateway, turned into a Python package by
openapi-python-client, imported, and used for everything a customer does (register, token,
list, place, poll, pay); staff set up the product with the harness as in every other test."""

import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

from tests.harness import CUSTOMER_PASSWORD, SERVICES, Shop, wait_for

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def _generate(shop: Shop, service: str, into: Path) -> str:
    schema = requests.get(f"{shop.stack.gateway_url}/api/schema/{service}/", timeout=10)
    schema.raise_for_status()
    path = into / f"{service}.yaml"
    path.write_bytes(schema.content)
    package = f"generated_{service}_client"
    generated = subprocess.run(
        [GENERATOR, "generate", "--path", path, "--meta", "none", "--output-path", into / package],
        capture_output=True,
        text=True,
        timeout=120,
        # Its post-generation hook runs ruff, which lives beside the interpreter.
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
    )
    # The generator reports schema parts it could not turn into code as warnings, and still
    # exits 0: a warning is a schema a client cannot fully use.
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout
    return package


@pytest.fixture(scope="module")
def generated(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    into = tmp_path_factory.mktemp("clients")
    packages = {service: _generate(shop, service, into) for service in SERVICES}
    sys.path.insert(0, str(into))
    try:
        yield packages
    finally:
        sys.path.remove(str(into))


def _module(package: str, name: str) -> ModuleType:
    return importlib.import_module(f"{package}.{name}")


def test_a_client_generated_from_the_schemas_registers_lists_places_polls_and_pays(
    shop: Shop, generated: dict[str, str]
) -> None:
    users, products, orders = generated["users"], generated["products"], generated["orders"]
    base_url = shop.stack.gateway_url
    product_id = shop.new_product(price="7.50", stock=5)
    anonymous = _module(users, "client").Client(base_url=base_url)

    register = _module(users, "api.auth.auth_register_create")
    register_input = _module(users, "models").UserRegisterInputRequest
    registered = register.sync_detailed(
        client=anonymous,
        body=register_input(
            username="generated", email="generated@example.com", password=CUSTOMER_PASSWORD
        ),
    )
    token = _module(users, "api.auth.auth_token_create")
    token_input = _module(users, "models").TokenObtainInputRequest
    pair = token.sync(
        client=anonymous, body=token_input(username="generated", password=CUSTOMER_PASSWORD)
    )
    signed_in = _module(orders, "client").AuthenticatedClient(base_url=base_url, token=pair.access)

    catalog = _module(products, "api.products.products_list").sync(
        client=_module(products, "client").Client(base_url=base_url), search="Saga item"
    )
    order_models = _module(orders, "models")
    placed = _module(orders, "api.orders.orders_create").sync_detailed(
        client=signed_in,
        body=order_models.OrderPlaceInputRequest(
            items=[order_models.OrderItemInputRequest(product_id=product_id, quantity=2)]
        ),
    )
    order_id = placed.parsed.id
    retrieve = _module(orders, "api.orders.orders_retrieve")
    deadline = time.monotonic() + 10
    while (status := retrieve.sync(order_id, client=signed_in).status) == "pending":
        assert time.monotonic() < deadline, "the order did not leave pending in 10 s"
        time.sleep(0.1)
    paid = _module(orders, "api.orders.orders_pay_create").sync_detailed(
        order_id,
        client=signed_in,
        body=order_models.OrderPayInputRequest(card_number="4242424242424242"),
    )

    assert registered.status_code == 201
    assert product_id in [product.id for product in catalog.results]
    assert placed.status_code == 202
    assert status == "awaiting_payment"
    assert paid.status_code == 200
    assert paid.parsed.status == "paid"
    wait_for(lambda: shop.stock(product_id)["on_hand"] == 3, timeout=5, what="the commit")
