"""Payment providers for tests, chosen like a real one through ORDERS_PAYMENT_PROVIDER."""

import threading
import time
from decimal import Decimal

from django.db import connection

from orders.payment_provider import (
    BuiltInTestProvider,
    ChargeResult,
    PaymentProviderError,
    RefundResult,
)


class RecordingProvider(BuiltInTestProvider):
    """The built-in test provider that remembers every call, process-wide (threads included),
    and can hold a charge open for a while to widen race windows."""

    charges: list[dict] = []
    refunds: list[dict] = []
    charge_seconds = 0.0
    charging = threading.Event()
    _lock = threading.Lock()

    @classmethod
    def reset(cls, *, charge_seconds: float = 0.0) -> None:
        with cls._lock:
            cls.charges.clear()
            cls.refunds.clear()
        cls.charge_seconds = charge_seconds
        cls.charging = threading.Event()

    def charge(
        self, *, amount: Decimal, currency: str, card_number: str, idempotency_key: str
    ) -> ChargeResult:
        with self._lock:
            self.charges.append(
                {"amount": amount, "currency": currency, "idempotency_key": idempotency_key}
            )
        self.charging.set()
        time.sleep(self.charge_seconds)
        return super().charge(
            amount=amount,
            currency=currency,
            card_number=card_number,
            idempotency_key=idempotency_key,
        )

    def refund(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        with self._lock:
            self.refunds.append({"reference": reference, "amount": amount})
        return super().refund(
            reference=reference, amount=amount, currency=currency, idempotency_key=idempotency_key
        )


class UnreachableProvider(BuiltInTestProvider):
    def charge(self, **kwargs: object) -> ChargeResult:
        raise PaymentProviderError("connection timed out")


class LosingRaceProvider(RecordingProvider):
    """Charges, then lets the order be cancelled behind the payment's back, on the payment's
    own connection: the one way to reach the transition a held row lock otherwise prevents."""

    def charge(self, **kwargs: object) -> ChargeResult:
        result = super().charge(**kwargs)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE orders_order SET status = 'cancelled'")
        return result
