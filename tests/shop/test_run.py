"""`make run`'s environment: the embedded default, DEBUG off."""

from pathlib import Path

from deploy.local.run import run_environment


def test_make_run_runs_with_debug_off(tmp_path: Path):
    env = run_environment({"PATH": "/usr/bin"}, tmp_path)

    assert env["DJANGO_DEBUG"] == "false"
    assert env["PATH"] == "/usr/bin"
    assert env["ORDERS_DATABASE_URL"].startswith("sqlite:///")


def test_what_the_environment_says_still_wins(tmp_path: Path):
    env = run_environment(
        {"DJANGO_DEBUG": "true", "ORDERS_DATABASE_URL": "postgres://db/orders"}, tmp_path
    )

    assert env["DJANGO_DEBUG"] == "true"
    assert env["ORDERS_DATABASE_URL"] == "postgres://db/orders"
