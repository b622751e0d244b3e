"""The web processes' check of a reused connection (shop.database.postgresql) costs no query,
and still finds a connection the server has ended."""

import time

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_engine_of_every_postgresql_database_is_the_shops():
    assert connection.settings_dict["ENGINE"] == "shop.database.postgresql"


def test_a_healthy_connection_is_usable_without_a_query(django_assert_num_queries):
    connection.ensure_connection()

    with django_assert_num_queries(0):
        assert connection.is_usable()


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)

    assert not connection.is_usable()
    # What Django does with an unusable connection before a request: close it and open anew.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
