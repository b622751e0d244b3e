"""The payments seam: card checks, the built-in test provider, and choosing a provider."""

from decimal import Decimal

import pytest
from django.utils import timezone

from orders.payment_provider import BuiltInTestProvider, Card, luhn_is_valid, payment_provider
from shop.errors import InvalidInput
from tests.orders.helpers import DECLINING_CARD, SUCCEEDING_CARD, UNKNOWN_CARD
from tests.orders.providers import RecordingProvider


def charge(card_number: str, key: str = "order-1-payment-1"):
    return BuiltInTestProvider().charge(
        amount=Decimal("10.00"), currency="USD", card_number=card_number, idempotency_key=key
    )


@pytest.mark.parametrize(
    ("number", "is_valid"),
    [
        (SUCCEEDING_CARD, True),
        (DECLINING_CARD, True),
        (UNKNOWN_CARD, True),
        ("4242424242424241", False),
        ("79927398713", True),
        ("79927398710", False),
    ],
)
def test_luhn_checksum(number, is_valid):
    assert luhn_is_valid(number) is is_valid


def test_test_provider_charges_the_succeeding_card():
    result = charge(SUCCEEDING_CARD)

    assert result.is_successful
    assert result.reference.startswith("test_ch_")
    assert result.failure_reason == ""


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (DECLINING_CARD, "card declined"),
        (UNKNOWN_CARD, "card not accepted by the test provider"),
    ],
)
def test_test_provider_declines_every_other_card(number, reason):
    result = charge(number)

    assert not result.is_successful
    assert result.failure_reason == reason


def test_test_provider_answers_a_repeated_idempotency_key_with_the_same_charge():
    assert charge(SUCCEEDING_CARD, "k-1").reference == charge(SUCCEEDING_CARD, "k-1").reference
    assert charge(SUCCEEDING_CARD, "k-1").reference != charge(SUCCEEDING_CARD, "k-2").reference


def test_provider_is_the_class_named_by_the_setting(settings):
    assert type(payment_provider()) is BuiltInTestProvider

    settings.ORDERS_PAYMENT_PROVIDER = "tests.orders.providers.RecordingProvider"

    assert type(payment_provider()) is RecordingProvider


def test_card_keeps_only_what_it_must_show():
    card = Card.from_input(card_number="4242 4242 4242 4242", exp_month=12, exp_year=2099)

    assert card.number == SUCCEEDING_CARD
    assert card.last4 == "4242"
    assert SUCCEEDING_CARD not in repr(card)
    assert SUCCEEDING_CARD not in str(card)


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"card_number": "4242-4242-4242-4242"}, "card_number"),
        ({"card_number": "abcd"}, "card_number"),
        ({"card_number": "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"}, "card_number"),
        ({"card_number": "42424242424"}, "card_number"),
        ({"card_number": "4" * 20}, "card_number"),
        ({"card_number": "4242424242424241"}, "card_number"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": 13}, "exp_month"),
        ({"card_number": SUCCEEDING_CARD, "exp_year": 99}, "exp_year"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": 1, "exp_year": 2020}, "exp_year"),
        ({"card_number": SUCCEEDING_CARD, "cvc": "12"}, "cvc"),
        ({"card_number": SUCCEEDING_CARD, "cvc": "12a"}, "cvc"),
    ],
)
def test_card_refuses_bad_input_naming_the_field(fields, bad_field):
    with pytest.raises(InvalidInput) as raised:
        Card.from_input(**fields)

    assert set(raised.value.errors) == {bad_field}


def test_card_expiring_this_month_is_still_valid():
    today = timezone.now().date()

    card = Card.from_input(card_number=SUCCEEDING_CARD, exp_month=today.month, exp_year=today.year)

    assert card.exp_year == today.year
