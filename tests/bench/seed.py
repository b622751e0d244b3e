"""The benchmark's data, made through the API as a shop's staff and customers would: categories,
products with ample stock, customers and their tokens."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from tests.harness import CUSTOMER_PASSWORD, STAFF, Shop

SEED_THREADS = 4
MAX_ADJUSTMENT_UNITS = 1_000_000
CATALOG_SYNC_TIMEOUT_SECONDS = 180


@dataclass
class Customer:
    username: str
    access: str
    refresh: str


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    return session


class Accounts:
    """Tokens for staff and customers. Logins and refreshes go to the users service's own port,
    not through the gateway: the gateway limits them to 1/s per address (a real client logs in
    once), and setup is not what is measured."""

    def __init__(self, shop: Shop) -> None:
        self.users_url = shop.stack.url("users")
        self.gateway_url = shop.stack.gateway_url
        self.session = _session()
        self.customers: list[Customer] = []
        self.staff = self._login(*STAFF)

    def _login(self, username: str, password: str) -> Customer:
        response = self.session.post(
            f"{self.users_url}/api/auth/token/",
            json={"username": username, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        tokens = response.json()
        return Customer(username=username, access=tokens["access"], refresh=tokens["refresh"])

    def _refresh(self, account: Customer) -> None:
        response = self.session.post(
            f"{self.users_url}/api/auth/token/refresh/",
            json={"refresh": account.refresh},
            timeout=30,
        )
        response.raise_for_status()
        tokens = response.json()
        account.access, account.refresh = tokens["access"], tokens["refresh"]

    def register_customers(self, count: int) -> list[Customer]:
        run = uuid.uuid4().hex[:6]

        def register(number: int) -> Customer:
            username = f"bench{number}-{run}"
            response = _session().post(
                f"{self.gateway_url}/api/auth/register/",
                json={
                    "username": username,
                    "email": f"{username}@example.com",
                    "password": CUSTOMER_PASSWORD,
                },
                timeout=30,
            )
            if response.status_code != 201:
                raise RuntimeError(
                    f"registering {username}: {response.status_code} {response.text}"
                )
            return self._login(username, CUSTOMER_PASSWORD)

        with ThreadPoolExecutor(SEED_THREADS) as pool:
            self.customers = list(pool.map(register, range(count)))
        return self.customers

    def fresh_tokens(self) -> None:
        """New access tokens for everyone (they live 5 minutes): called before every phase.
        A refresh costs no password hash, so fifty take a fraction of a second."""
        self._refresh(self.staff)
        for customer in self.customers:
            self._refresh(customer)


def seed_catalog(
    shop: Shop, accounts: Accounts, *, products: int, categories: int, stock: int
) -> list[int]:
    """`categories` categories and `products` products in them, each stocked with `stock` units
    once inventory and orders know it. Returns the product ids."""
    gateway = shop.stack.gateway_url
    headers = {"Authorization": f"Bearer {accounts.staff.access}"}
    session = _session()
    category_ids = []
    for number in range(categories):
        response = session.post(
            f"{gateway}/api/categories/",
            json={"name": f"Bench category {number}", "slug": f"bench-{number}"},
            headers=headers,
            timeout=30,
        )
        if response.status_code != 201:
            raise RuntimeError(f"category: {response.status_code} {response.text}")
        category_ids.append(response.json()["id"])

    def create(number: int) -> int:
        response = _session().post(
            f"{gateway}/api/products/",
            json={
                "sku": f"BENCH-{number:05d}",
                "name": f"Bench item {number}",
                "description": f"Item {number} of the benchmark's catalog.",
                "price": f"{1 + number % 97}.{number % 100:02d}",
                "category": category_ids[number % len(category_ids)] if category_ids else None,
            },
            headers=headers,
            timeout=30,
        )
        if response.status_code != 201:
            raise RuntimeError(f"product {number}: {response.status_code} {response.text}")
        return response.json()["id"]

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        product_ids = list(pool.map(create, range(products)))

    _wait_count(
        shop, "inventory", "SELECT count(*) FROM inventory_stockrecord", products, "stock records"
    )
    _wait_count(
        shop, "orders", "SELECT count(*) FROM orders_catalogproduct", products, "catalog copies"
    )
    accounts.fresh_tokens()
    headers = {"Authorization": f"Bearer {accounts.staff.access}"}
    remaining = stock

    def adjust(product_id: int, delta: int) -> None:
        response = _session().post(
            f"{gateway}/api/inventory/{product_id}/adjust/",
            json={"delta": delta, "reason": "benchmark stock"},
            headers=headers,
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(f"adjust {product_id}: {response.status_code} {response.text}")

    # An adjustment is capped, so larger stock takes several.
    while remaining > 0:
        delta = min(remaining, MAX_ADJUSTMENT_UNITS)
        with ThreadPoolExecutor(SEED_THREADS) as pool:
            list(pool.map(lambda product_id, delta=delta: adjust(product_id, delta), product_ids))
        remaining -= delta
    return product_ids


def _wait_count(shop: Shop, service: str, statement: str, expected: int, what: str) -> None:
    deadline = time.monotonic() + CATALOG_SYNC_TIMEOUT_SECONDS
    while True:
        count = shop.query(service, statement)[0][0]
        if count >= expected:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service} knows {count} of {expected} {what} after the timeout")
        time.sleep(0.5)
