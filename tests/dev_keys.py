"""A pytest plugin (pyproject's addopts): the development key pair, made before pytest-django
loads a service's settings, which read it and make none (as `make run` makes it for its stack)."""

import os

import pytest

from deploy.local.stack import ensure_dev_keys


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    ensure_dev_keys(dict(os.environ))
