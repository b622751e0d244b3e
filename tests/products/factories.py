"""Catalog rows for tests, written straight to the database (the services are tested apart)."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from products.models import Category, Product


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda number: f"Category {number}")
    slug = factory.Sequence(lambda number: f"category-{number}")
    parent = None


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda number: f"SKU-{number:05d}")
    name = factory.Sequence(lambda number: f"Product {number}")
    slug = factory.Sequence(lambda number: f"product-{number}")
    description = ""
    price = Decimal("10.00")
    category = None
    is_active = True
