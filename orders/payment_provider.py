"""The payment provider seam: what orders needs from a card provider, and the built-in test one.

A real provider plugs in by implementing `PaymentProvider` and naming its class in the setting
`ORDERS_PAYMENT_PROVIDER`. Only `Card.last4` is ever stored; the full number goes to the
provider and nowhere else (not into the database, not into logs: `Card`'s repr masks it).
"""

import abc
import dataclasses
import hashlib
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from shop.errors import InvalidInput

CARD_NUMBER_MIN_DIGITS = 12
CARD_NUMBER_MAX_DIGITS = 19
# Expiry years a card can carry; anything else is a typo.
CARD_EXPIRY_MIN_YEAR = 2000
CARD_EXPIRY_MAX_YEAR = 2099


def luhn_is_valid(digits: str) -> bool:
    """The Luhn checksum every card number carries: catches most typos before a charge."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclasses.dataclass(frozen=True)
class Card:
    """A card to charge, valid by construction: a `Card` that exists passed every check.

    Raises `InvalidInput` naming each field that is wrong: `number` (12 to 19 digits, spaces
    allowed between them, with a valid Luhn checksum), `exp_month`, `exp_year` (not in the past
    when both are given) and `cvc` (3 or 4 digits), the last three optional.
    """

    number: str = dataclasses.field(repr=False)
    exp_month: int | None = None
    exp_year: int | None = None
    cvc: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        errors = _card_errors(self)
        if errors:
            raise InvalidInput(errors)

    @classmethod
    def from_input(
        cls,
        *,
        card_number: str,
        exp_month: int | None = None,
        exp_year: int | None = None,
        cvc: str | None = None,
    ) -> "Card":
        """A card from what a customer typed; the errors name the API's fields."""
        try:
            return cls(
                number=card_number.replace(" ", ""), exp_month=exp_month, exp_year=exp_year, cvc=cvc
            )
        except InvalidInput as error:
            fields = {"number": "card_number"}
            raise InvalidInput(
                {fields.get(field, field): messages for field, messages in error.errors.items()}
            ) from None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        return (
            f"Card(number='...{self.last4}', exp_month={self.exp_month}, exp_year={self.exp_year})"
        )


def _card_errors(card: Card) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    number = card.number
    # isascii: str.isdigit() also accepts digits of other scripts, which no card has.
    if not (number.isascii() and number.isdigit()):
        errors["number"] = ["Enter the card number as digits only."]
    elif not CARD_NUMBER_MIN_DIGITS <= len(number) <= CARD_NUMBER_MAX_DIGITS:
        errors["number"] = [
            f"A card number has {CARD_NUMBER_MIN_DIGITS} to {CARD_NUMBER_MAX_DIGITS} digits."
        ]
    elif not luhn_is_valid(number):
        errors["number"] = ["This card number is not valid; check it for typos."]
    if card.exp_month is not None and not 1 <= card.exp_month <= 12:
        errors["exp_month"] = ["Enter a month from 1 to 12."]
    if (
        card.exp_year is not None
        and not CARD_EXPIRY_MIN_YEAR <= card.exp_year <= CARD_EXPIRY_MAX_YEAR
    ):
        errors["exp_year"] = [
            f"Enter the year with four digits ({CARD_EXPIRY_MIN_YEAR} to {CARD_EXPIRY_MAX_YEAR})."
        ]
    if card.cvc is not None and not (
        card.cvc.isascii() and card.cvc.isdigit() and len(card.cvc) in (3, 4)
    ):
        errors["cvc"] = ["The security code is 3 or 4 digits."]
    if (
        card.exp_month is not None
        and card.exp_year is not None
        and not errors.keys()
        & {
            "exp_month",
            "exp_year",
        }
    ):
        today = timezone.now().date()
        # A card is valid until the last day of its expiry month.
        if (card.exp_year, card.exp_month) < (today.year, today.month):
            errors["exp_year"] = ["This card has expired."]
    return errors


@dataclasses.dataclass(frozen=True)
class ChargeResult:
    is_successful: bool
    # The provider's id of the charge (or of the declined attempt), kept with the payment.
    reference: str = ""
    failure_reason: str = ""


@dataclasses.dataclass(frozen=True)
class RefundResult:
    reference: str


class PaymentProviderError(Exception):
    """The provider could not be reached or failed; whether a charge happened is unknown, so
    a retry must reuse the same idempotency key."""


class PaymentProvider(abc.ABC):
    """A card provider. Calls are synchronous and should time out within seconds: the order's
    row stays locked while a charge runs."""

    @abc.abstractmethod
    def charge(
        self, *, amount: Decimal, currency: str, card_number: str, idempotency_key: str
    ) -> ChargeResult:
        """Charge the card. A decline is a result, not an exception; `PaymentProviderError`
        means the outcome is unknown. The same `idempotency_key` again must not charge twice."""

    @abc.abstractmethod
    def refund(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        """Give back a successful charge in full; raises `PaymentProviderError` on failure."""


class BuiltInTestProvider(PaymentProvider):
    """The shop's provider: no real money moves. `4242424242424242` succeeds,
    `4000000000000002` declines, and any other (valid) number is declined as unknown."""

    SUCCEEDING_CARD_NUMBER = "4242424242424242"
    DECLINING_CARD_NUMBER = "4000000000000002"

    def charge(
        self, *, amount: Decimal, currency: str, card_number: str, idempotency_key: str
    ) -> ChargeResult:
        # Derived from the idempotency key, as a real provider answers a repeated request.
        reference = f"test_ch_{_digest(idempotency_key)}"
        if card_number == self.SUCCEEDING_CARD_NUMBER:
            return ChargeResult(is_successful=True, reference=reference)
        if card_number == self.DECLINING_CARD_NUMBER:
            return ChargeResult(
                is_successful=False, reference=reference, failure_reason="card declined"
            )
        return ChargeResult(
            is_successful=False,
            reference=reference,
            failure_reason="card not accepted by the test provider",
        )

    def refund(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(reference=f"test_re_{_digest(idempotency_key)}")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def payment_provider() -> PaymentProvider:
    """The provider named by `ORDERS_PAYMENT_PROVIDER`, looked up on each use so that a
    settings override (in tests, or a reload) takes effect at once."""
    provider_class = import_string(settings.ORDERS_PAYMENT_PROVIDER)
    return provider_class()
