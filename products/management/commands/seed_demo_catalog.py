"""Create the demo catalog `make run` shows; idempotent (known SKUs are left alone)."""

from decimal import Decimal

from django.core.management.base import BaseCommand

from products.models import Category, Product
from products.services import category_create, product_create

# (category, [(sku, name, price, description)])
DEMO_CATALOG = (
    (
        "Mugs",
        [
            ("MUG-CLASSIC", "Classic mug", "9.50", "Stoneware, 330 ml."),
            ("MUG-TRAVEL", "Travel mug", "18.00", "Double-walled steel, keeps coffee hot."),
        ],
    ),
    (
        "T-shirts",
        [
            ("TEE-PONY-M", "Pony t-shirt (M)", "22.00", "Organic cotton, medium."),
            ("TEE-PONY-L", "Pony t-shirt (L)", "22.00", "Organic cotton, large."),
        ],
    ),
    (
        "Books",
        [
            ("BOOK-DJANGO", "Two scoops of web", "39.90", "A well-thumbed guide."),
            ("BOOK-QUEUES", "Messages that never get lost", "29.00", "Outboxes and inboxes."),
        ],
    ),
)


class Command(BaseCommand):
    help = "Create the demo categories and products unless they exist."

    def handle(self, *args, **options) -> None:
        for category_name, products in DEMO_CATALOG:
            category = Category.objects.filter(name=category_name).first() or category_create(
                name=category_name
            )
            for sku, name, price, description in products:
                if Product.objects.filter(sku__iexact=sku).exists():
                    continue
                product_create(
                    sku=sku,
                    name=name,
                    price=Decimal(price),
                    description=description,
                    category_id=category.id,
                )
                self.stdout.write(f"created demo product {sku}")
