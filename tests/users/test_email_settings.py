"""Email configuration from the environment (each case boots the settings in a new process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMAIL_SETTINGS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_FILE_PATH",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_TIMEOUT",
)


def email_settings(**variables: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EMAIL_", "USERS_EMAIL_"))
    }
    env.update(variables, DJANGO_SETTINGS_MODULE="users.settings")
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: str(getattr(settings, name)) for name in {EMAIL_SETTINGS}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_development_writes_emails_to_files_under_var_mail():
    values = email_settings()

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["EMAIL_FILE_PATH"] == str(ROOT / "var" / "mail")
    assert values["DEFAULT_FROM_EMAIL"] == "shop@localhost"
    assert values["EMAIL_TIMEOUT"] == "10"


def test_email_url_chooses_the_server_and_the_sender_is_configurable():
    values = email_settings(
        EMAIL_URL="smtp+tls://mailer:s%40cret@mail.example.com:587",
        DJANGO_DEFAULT_FROM_EMAIL="shop@example.com",
        USERS_EMAIL_TIMEOUT_SECONDS="3",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s@cret",
        "EMAIL_USE_TLS": "True",
        "EMAIL_FILE_PATH": str(ROOT / "var" / "mail"),
        "DEFAULT_FROM_EMAIL": "shop@example.com",
        "EMAIL_TIMEOUT": "3",
    }


def test_production_without_email_url_sends_through_smtp_on_localhost():
    values = email_settings(
        DJANGO_ENV="production", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50
    )

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("localhost", "25")
