"""`python manage.py <service> <command>` drives any service; DJANGO_SETTINGS_MODULE still wins."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shop import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, settings_module: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_manage_runs_a_command_under_the_named_service(service):
    result = manage(service, "diffsettings", "--all")

    assert result.returncode == 0, result.stderr
    assert f"ROOT_URLCONF = '{service}.urls'" in result.stdout
    assert f"'NAME': 'shop_{service}'" in result.stdout or "sqlite" in result.stdout


def test_manage_without_a_service_prints_usage_and_fails():
    result = manage("migrate")

    assert result.returncode == 2
    assert "usage: python manage.py <service> <command>" in result.stderr


def test_explicit_settings_module_wins_over_the_service_argument():
    result = manage("products", "diffsettings", "--all", settings_module="orders.settings")

    assert result.returncode == 0, result.stderr
    assert "ROOT_URLCONF = 'orders.urls'" in result.stdout


def test_settings_module_alone_works_without_a_service_argument():
    result = manage("check", settings_module="inventory.settings")

    assert result.returncode == 0, result.stderr
