"""Put the demo stock on the shelves once the demo products' records exist; idempotent."""

import time

from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockMovement, StockRecord
from inventory.services import stock_adjust

DEMO_STOCK_UNITS = 25
# The demo SKUs come from products' seed_demo_catalog; their stock records from product events.
DEMO_SKUS = (
    "MUG-CLASSIC",
    "MUG-TRAVEL",
    "TEE-PONY-M",
    "TEE-PONY-L",
    "BOOK-DJANGO",
    "BOOK-QUEUES",
)


class Command(BaseCommand):
    help = "Stock each demo product once (waits for its stock record to arrive)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--wait", type=float, default=30, help="seconds to wait for records")

    def handle(self, *args, **options) -> None:
        deadline = time.monotonic() + options["wait"]
        while StockRecord.objects.filter(sku__in=DEMO_SKUS).count() < len(DEMO_SKUS):
            if time.monotonic() > deadline:
                raise CommandError("the demo products' stock records did not arrive in time")
            time.sleep(0.2)
        for record in StockRecord.objects.filter(sku__in=DEMO_SKUS):
            # Only a record nobody has touched: a second `make run` must not add more.
            if StockMovement.objects.filter(stock_record=record).exists():
                continue
            stock_adjust(
                product_id=record.product_id,
                delta=DEMO_STOCK_UNITS,
                reason="demo stock",
                actor="seed_demo_stock",
            )
            self.stdout.write(f"stocked {record.sku} with {DEMO_STOCK_UNITS}")
