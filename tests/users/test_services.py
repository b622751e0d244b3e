"""The account and token services against the real database, including races."""

import threading

import pytest
from django.db import connection

from shop.errors import InvalidInput, Unauthenticated
from tests.users.factories import PASSWORD, UserFactory
from users import services
from users.models import User


@pytest.mark.django_db
def test_user_register_hashes_password_and_normalizes_email_domain():
    user = services.user_register(username="dave", email="Dave@EXAMPLE.COM", password=PASSWORD)

    assert user.email == "Dave@example.com"
    assert user.password != PASSWORD and user.check_password(PASSWORD)


@pytest.mark.django_db
def test_database_refuses_usernames_differing_only_in_case():
    from django.db import IntegrityError

    UserFactory(username="erin")

    with pytest.raises(IntegrityError):
        User.objects.create(username="ERIN", email="other@example.com")


@pytest.mark.django_db
def test_user_register_reports_every_broken_rule_at_once():
    UserFactory(username="frank", email="frank@example.com")

    with pytest.raises(InvalidInput) as error:
        services.user_register(username="Frank", email="FRANK@example.com", password="123")

    assert set(error.value.errors) == {"username", "email", "password"}


@pytest.mark.django_db
def test_token_refresh_with_unknown_token_is_unauthenticated():
    with pytest.raises(Unauthenticated):
        services.token_refresh(refresh="nonsense")


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_yield_exactly_one_new_pair():
    # given
    UserFactory(username="grace")
    refresh = services.token_obtain(username="grace", password=PASSWORD).refresh
    results: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            services.token_refresh(refresh=refresh)
            results.append("ok")
        except Unauthenticated:
            results.append("refused")
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert sorted(results) == ["ok"] + ["refused"] * 7
