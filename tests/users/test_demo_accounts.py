"""The demo accounts `make run` prints: created in development, never in production."""

import pytest
from django.core.management import CommandError, call_command

from users.models import User

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_created_in_development(settings):
    settings.IS_PRODUCTION = False

    call_command("seed_demo_users")

    assert set(User.objects.values_list("username", flat=True)) == {"admin", "customer"}


def test_demo_accounts_are_refused_in_production_and_nothing_is_created(settings):
    settings.IS_PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo_users")

    assert not User.objects.exists()
