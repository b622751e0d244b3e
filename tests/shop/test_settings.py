"""Configuration from the environment, and production's refusal to start unsafely."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shop import SERVICES
from shop.settings import service_database

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET = "x" * 50


def boot(service: str, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(variables)
    env["DJANGO_SETTINGS_MODULE"] = f"{service}.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_service_prefixed_database_url_overrides_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://a@db.example:5432/generic")
    monkeypatch.setenv("ORDERS_DATABASE_URL", "postgres://b@db.example:5432/orders_only")

    assert service_database("orders")["NAME"] == "orders_only"
    assert service_database("products")["NAME"] == "generic"


def test_database_defaults_to_local_postgres_per_service(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INVENTORY_DATABASE_URL", raising=False)

    database = service_database("inventory")

    assert (database["HOST"], database["NAME"]) == ("127.0.0.1", "shop_inventory")
    assert "postgresql" in database["ENGINE"]


def test_sqlite_url_gives_the_embedded_database(monkeypatch, tmp_path):
    monkeypatch.setenv("USERS_DATABASE_URL", f"sqlite:///{tmp_path}/users.sqlite3")

    database = service_database("users")

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        (
            {"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": STRONG_SECRET},
            "DJANGO_DEBUG",
        ),
        (
            {
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": STRONG_SECRET,
                "JWT_PUBLIC_KEY_FILE": "/nonexistent/public.pem",
            },
            "JWT_PUBLIC_KEY_FILE",
        ),
    ],
)
def test_production_refuses_to_start_unsafely(variables, complaint):
    result = boot("products", DJANGO_ENV="production", **variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_users_service_needs_the_private_key(tmp_path):
    public = ROOT / "var" / "jwt" / "jwt-public.pem"

    result = boot(
        "users",
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=STRONG_SECRET,
        JWT_PUBLIC_KEY_FILE=str(public),
        JWT_PRIVATE_KEY_FILE=str(tmp_path / "missing.pem"),
    )

    assert result.returncode != 0
    assert "JWT_PRIVATE_KEY_FILE" in result.stderr


def test_production_starts_with_a_secret_and_the_public_key_only(tmp_path):
    public = ROOT / "var" / "jwt" / "jwt-public.pem"

    result = boot(
        "orders",
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=STRONG_SECRET,
        JWT_PUBLIC_KEY_FILE=str(public),
        JWT_KEYS_DIR=str(tmp_path / "no-keys-here"),
    )

    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "no-keys-here").exists()  # production never generates keys


def test_users_service_refuses_to_sign_with_a_key_it_has_not_published(
    tmp_path, production_key_files
):
    """Step 2 of a rotation before step 1 would issue tokens every service refuses."""
    unpublished = tmp_path / "next-private.pem"
    unpublished.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    result = boot(
        "users",
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=STRONG_SECRET,
        JWT_PUBLIC_KEY_FILE=production_key_files["JWT_PUBLIC_KEY_FILE"],
        JWT_PRIVATE_KEY_FILE=str(unpublished),
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "not among JWT_PUBLIC_KEY_FILE's" in result.stderr


def test_users_service_signs_with_any_key_of_a_bundle(tmp_path, production_key_files):
    bundle = tmp_path / "public.pem"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    bundle.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        + Path(production_key_files["JWT_PUBLIC_KEY_FILE"]).read_bytes()
    )

    result = boot(
        "users",
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=STRONG_SECRET,
        JWT_PUBLIC_KEY_FILE=str(bundle),
        JWT_PRIVATE_KEY_FILE=production_key_files["JWT_PRIVATE_KEY_FILE"],
    )

    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def production_key_files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("jwt")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = folder / "private.pem", folder / "public.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return {"JWT_PUBLIC_KEY_FILE": str(public), "JWT_PRIVATE_KEY_FILE": str(private)}


@pytest.mark.parametrize("service", SERVICES)
def test_production_settings_pass_the_deployment_checklist(service, production_key_files):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("SHOP_SSO_COOKIE_SECURE", None)
    env.update(
        production_key_files,
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="k3N!x9-q" * 7,
    )

    result = subprocess.run(
        [sys.executable, "manage.py", service, "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_with_the_tls_redirect_plain_http_is_sent_to_https_but_probes_are_not(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    plain = client.get("/api/products/")
    over_tls = client.get("/api/products/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/api/products/"
    assert over_tls.status_code == 200
    for probe in ("/healthz", "/metrics"):
        assert client.get(probe).status_code == 200, probe


def test_a_statement_timeout_setting_cancels_a_statement_that_waits_longer():
    """Workers set it (workers/__main__.py): the threads pool cannot stop a task at its time
    limit, so a database wait may not outlast it."""
    check = (
        "import django; django.setup()\n"
        "from django.db import connection, OperationalError\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])\n"
        "    try:\n"
        "        cursor.execute('SELECT pg_sleep(3)'); print('slept')\n"
        "    except OperationalError as error: print(type(error.__cause__).__name__)\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="orders.settings",
        DJANGO_STATEMENT_TIMEOUT_SECONDS="1",
        ORDERS_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["1s", "QueryCanceled"], result.stderr


@pytest.fixture(scope="module")
def dev_keys_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("dev-jwt")
    assert (
        subprocess.run(
            [sys.executable, "-m", "shop.auth.keys", str(directory)], cwd=ROOT
        ).returncode
        == 0
    )
    return directory


@pytest.mark.parametrize("service", SERVICES)
def test_loading_the_settings_writes_no_file_and_makes_no_folder(service, tmp_path, dev_keys_dir):
    var_dir = tmp_path / "var"
    var_dir.mkdir()

    result = boot(
        service,
        SHOP_VAR_DIR=str(var_dir),
        JWT_KEYS_DIR=str(dev_keys_dir),
        CELERY_BROKER_URL="filesystem://",
        **{f"{service.upper()}_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
    )

    assert result.returncode == 0, result.stderr
    assert list(var_dir.iterdir()) == []


def test_a_service_without_its_development_key_names_the_variable_and_the_command(tmp_path):
    result = boot("orders", JWT_KEYS_DIR=str(tmp_path / "jwt"))

    assert result.returncode != 0
    assert "JWT_PUBLIC_KEY_FILE" in result.stderr
    assert f"python -m shop.auth.keys {tmp_path / 'jwt'}" in result.stderr
    assert not (tmp_path / "jwt").exists()


CURRENCY = (
    "import django; django.setup(); from django.conf import settings; print(settings.SHOP_CURRENCY)"
)


def currency(**variables: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("SHOP_CURRENCY", None)
    env.update(variables, DJANGO_SETTINGS_MODULE="products.settings")
    result = subprocess.run(
        [sys.executable, "-c", CURRENCY], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def dot_env() -> Iterator[Path]:
    """The repository root's .env holding the test's value; a developer's own .env is moved aside
    meanwhile and put back afterwards."""
    path = ROOT / ".env"
    aside = ROOT / ".env.moved-aside-by-tests"
    had_one = path.exists()
    if had_one:
        path.rename(aside)
    path.write_text("SHOP_CURRENCY=EUR\n")
    try:
        yield path
    finally:
        path.unlink()
        if had_one:
            aside.rename(path)


def test_dot_env_is_read_only_when_asked(dot_env):
    assert currency() == "USD"
    assert currency(DJANGO_READ_DOT_ENV="1") == "EUR"


def test_an_env_file_is_read_when_named(tmp_path):
    named = tmp_path / "shop.env"
    named.write_text("SHOP_CURRENCY=CHF\n")

    assert currency(DJANGO_ENV_FILE=str(named)) == "CHF"
