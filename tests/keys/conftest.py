"""The whole shop behind its gateway, on key files the suite owns and rewrites between the steps
of a rotation (as an operator rewrites the Kubernetes Secrets), restarting the services."""

import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shop.auth.keys import generate_key_pair
from tests.harness import Shop, running_shop

WEBS = ("users-web", "products-web", "orders-web", "inventory-web")


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> "KeyPair":
        private, public = generate_key_pair()
        return cls(private.decode(), public.decode())


@dataclass
class KeyedShop:
    """The running shop and the two files its keys come from: JWT_PUBLIC_KEY_FILE (every
    service verifies with its keys) and JWT_PRIVATE_KEY_FILE (the users service signs)."""

    shop: Shop
    public_file: Path
    private_file: Path

    def configure(self, *, verifying: list[KeyPair], signing: KeyPair) -> None:
        self.public_file.write_text("".join(pair.public_pem for pair in verifying))
        self.private_file.write_text(signing.private_pem)

    def restart(self, *names: str) -> None:
        """Stop the processes as a rollout does (SIGTERM, let them finish) and start them again
        on the key files as they are now."""
        for name in names:
            self.shop.stack.kill(name, signal.SIGTERM)
        self.shop.stack.start(names)


@pytest.fixture(scope="module")
def old_key() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def next_key() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def keyed_shop(tmp_path_factory, old_key: KeyPair) -> Iterator[KeyedShop]:
    directory = tmp_path_factory.mktemp("jwt-keys")
    keyed = KeyedShop(
        shop=None,  # type: ignore[arg-type] (set below, once the stack runs on these files)
        public_file=directory / "jwt-public.pem",
        private_file=directory / "jwt-private.pem",
    )
    keyed.configure(verifying=[old_key], signing=old_key)
    env = {
        "JWT_PUBLIC_KEY_FILE": str(keyed.public_file),
        "JWT_PRIVATE_KEY_FILE": str(keyed.private_file),
    }
    with running_shop("keys", gateway=True, env=env) as shop:
        keyed.shop = shop
        yield keyed
