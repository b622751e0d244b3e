"""Factories for inventory's models. They write levels directly, as test setup only."""

import factory

from inventory.models import Reservation, StockMovement, StockRecord


class StockRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockRecord

    product_id = factory.Sequence(lambda n: 10_000 + n)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    on_hand = 0
    reserved = 0


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    stock_record = factory.SubFactory(StockRecordFactory)
    kind = StockMovement.Kind.ADJUSTMENT
    delta_on_hand = 5
    delta_reserved = 0
    on_hand_after = factory.LazyAttribute(lambda movement: movement.stock_record.on_hand)
    reserved_after = factory.LazyAttribute(lambda movement: movement.stock_record.reserved)
    reason = "Goods received"
    actor = "admin"


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    order_id = factory.Faker("uuid4", cast_to=None)
    status = Reservation.Status.RESERVED
