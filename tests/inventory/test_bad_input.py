"""Bad input to inventory is a small, fast 4xx in the contract's JSON, in every mode: absurdly
nested JSON, a NUL in the URL, unmatched paths and bugs with DEBUG on or off."""

import pytest
from django.test import Client

from inventory.models import StockMovement, StockRecord
from tests.bad_input import (
    BROKEN_PATH,
    BROKEN_URLCONF,
    DEEP_JSON,
    FAST_SECONDS,
    assert_contract_error,
    send_json,
    timed,
)

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_is_a_fast_400_and_changes_nothing(record, staff):
    before = (list(StockRecord.objects.values()), StockMovement.objects.count())

    response, seconds = timed(
        lambda: send_json(staff.client(), "POST", "/api/inventory/42/adjust/", DEEP_JSON)
    )

    assert "nested deeper" in assert_contract_error(response, 400)["detail"]
    assert seconds < FAST_SECONDS
    assert (list(StockRecord.objects.values()), StockMovement.objects.count()) == before


@pytest.mark.parametrize("url", ["/api/inventory/%00/", "/api/inventory/42%00/adjust/"])
def test_a_nul_in_the_path_is_a_json_400(staff, url):
    assert_contract_error(staff.client().get(url), 400)


def test_a_nul_in_a_query_parameter_is_a_field_error(staff):
    response = staff.client().get("/api/inventory/?low_stock=1%00")

    assert response.status_code == 400
    assert response.json() == {"low_stock": ["Null characters are not allowed."]}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
@pytest.mark.parametrize(
    "url", ["/api/inventory/not-a-number/", "/api/inventory/42/x/", "/api/nowhere/"]
)
def test_an_unmatched_path_is_a_json_404_in_every_mode(settings, customer, debug, url):
    settings.DEBUG = debug

    for client in (Client(), customer.client()):
        for accept in ("application/json", "text/html"):
            response = client.get(url, HTTP_ACCEPT=accept)

            assert assert_contract_error(response, 404) == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_bug_is_a_json_500_in_every_mode(settings, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = BROKEN_URLCONF

    response = Client(raise_request_exception=False).get(BROKEN_PATH, HTTP_ACCEPT="text/html")

    assert assert_contract_error(response, 500) == {"detail": "Internal server error."}
