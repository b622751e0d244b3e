"""The real stack for the saga suite: gunicorn, Celery workers, relays and beat for all four
services, on fresh PostgreSQL databases and a RabbitMQ virtual host of its own."""

import itertools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local.stack import SERVICES, Stack, StackConfig
from tests.saga.harness import (
    Api,
    BrokerProxy,
    free_port,
    query,
    recreate_database,
    reset_vhost,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
DATABASE_PREFIX = "shop_saga_"
VHOST = "shop_saga"
STAFF = ("saga-admin", "saga-admin-password")
CUSTOMER_PASSWORD = "a perfectly fine password 42"

_sequence = itertools.count(1)


@dataclass
class Shop:
    """The running stack and what a test needs to drive and inspect it."""

    stack: Stack
    api: Api
    broker: BrokerProxy
    staff_token: str

    @staticmethod
    def database(service: str) -> str:
        return f"{DATABASE_PREFIX}{service}"

    def query(self, service: str, statement: str, params: tuple = ()) -> list[tuple]:
        return query(self.database(service), statement, params)

    def new_customer(self) -> str:
        """Register a fresh customer through the API and return an access token."""
        username = f"customer{next(_sequence)}-{uuid.uuid4().hex[:6]}"
        response = self.api.call(
            "POST",
            "users",
            "/api/auth/register/",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": CUSTOMER_PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        return self.api.token(username, CUSTOMER_PASSWORD)

    def new_product(self, *, price: str = "10.00", stock: int = 0) -> int:
        """Create a product as staff; wait until inventory and orders know it; stock it."""
        number = next(_sequence)
        response = self.api.call(
            "POST",
            "products",
            "/api/products/",
            token=self.staff_token,
            json={
                "sku": f"SAGA-{number}-{uuid.uuid4().hex[:6]}",
                "name": f"Saga item {number}",
                "price": price,
            },
        )
        assert response.status_code == 201, response.text
        product_id = response.json()["id"]
        wait_for(
            lambda: (
                self.api.call("GET", "inventory", f"/api/inventory/{product_id}/").status_code
                == 200
            ),
            timeout=5,
            what=f"inventory to learn product {product_id}",
        )
        wait_for(
            lambda: self.query(
                "orders", "SELECT 1 FROM orders_catalogproduct WHERE product_id = %s", (product_id,)
            ),
            timeout=5,
            what=f"orders to learn product {product_id}",
        )
        if stock:
            self.adjust_stock(product_id, stock)
        return product_id

    def adjust_stock(self, product_id: int, delta: int) -> dict:
        response = self.api.call(
            "POST",
            "inventory",
            f"/api/inventory/{product_id}/adjust/",
            token=self.staff_token,
            json={"delta": delta, "reason": "saga test stock"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def stock(self, product_id: int) -> dict:
        response = self.api.call(
            "GET", "inventory", f"/api/inventory/{product_id}/", token=self.staff_token
        )
        assert response.status_code == 200, response.text
        return response.json()

    def movements(self, product_id: int) -> list[dict]:
        response = self.api.call(
            "GET",
            "inventory",
            f"/api/inventory/{product_id}/movements/",
            token=self.staff_token,
            params={"page_size": 100},
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def place(self, token: str, items: list[dict], **extra) -> dict:
        response = self.api.call(
            "POST", "orders", "/api/orders/", token=token, json={"items": items}, **extra
        )
        assert response.status_code == 202, response.text
        return response.json()

    def order(self, token: str, order_id: str) -> dict:
        response = self.api.call("GET", "orders", f"/api/orders/{order_id}/", token=token)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, token: str, order_id: str, *statuses: str, timeout: float = 10) -> dict:
        return wait_for(
            lambda: (order := self.order(token, order_id))["status"] in statuses and order,
            timeout=timeout,
            what=f"order {order_id} to become {' or '.join(statuses)}",
        )


@pytest.fixture(scope="session")
def shop(tmp_path_factory) -> Shop:
    for service in SERVICES:
        recreate_database(f"{DATABASE_PREFIX}{service}")
    vhost = reset_vhost(VHOST)
    broker = BrokerProxy()
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
        **{
            f"{service.upper()}_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE_PREFIX}{service}"
            for service in SERVICES
        },
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{broker.port}/{vhost}",
        # Retries a few tenths of a second apart, so the poison test ends quickly.
        "SHOP_MESSAGE_RETRY_BACKOFF_SECONDS": "0.2",
        "SHOP_MESSAGE_MAX_DELIVERIES": "4",
        "ORDERS_EXPIRY_SCAN_SECONDS": "1",
        "DJANGO_SUPERUSER_USERNAME": STAFF[0],
        "DJANGO_SUPERUSER_EMAIL": "saga-admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": STAFF[1],
        "USERS_LOGIN_RATE": "10000/minute",
        "USERS_REGISTER_RATE": "10000/minute",
    }
    log_dir = Path(os.environ.get("SHOP_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "saga-logs"
    stack = Stack(
        StackConfig(ports={service: free_port() for service in SERVICES}, env=env, log_dir=log_dir)
    )
    stack.migrate()
    stack.manage("users", "createsuperuser", "--noinput")
    try:
        stack.start()
        api = Api({service: stack.url(service) for service in SERVICES})
        yield Shop(stack=stack, api=api, broker=broker, staff_token=api.token(*STAFF))
    finally:
        stack.stop()
        broker.close()


@pytest.fixture
def customer(shop: Shop) -> str:
    return shop.new_customer()
