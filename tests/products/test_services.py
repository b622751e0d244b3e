"""Catalog writes against the real database: the rules hold whoever calls."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from products import services
from products.models import Category, Product
from shop.errors import Conflict, InvalidInput
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def create(**overrides) -> Product:
    return services.product_create(
        **{"sku": "MUG-1", "name": "Mug", "price": Decimal("9.90"), **overrides}
    )


def test_product_create_stores_product_with_shop_currency():
    category = CategoryFactory()

    product = create(category_id=category.pk, description="Holds tea.")

    stored = Product.objects.get(pk=product.pk)
    assert (stored.sku, stored.name, stored.price) == ("MUG-1", "Mug", Decimal("9.90"))
    assert stored.currency == "USD"
    assert stored.category == category
    assert stored.is_active is True
    assert stored.created_at is not None


def test_product_create_takes_currency_from_settings(settings):
    settings.SHOP_CURRENCY = "EUR"

    assert create().currency == "EUR"


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Blue Mug", "blue-mug"), ("Crème brûlée set", "creme-brulee-set"), ("!!!", "product")],
)
def test_product_create_makes_slug_from_name(name, slug):
    assert create(name=name).slug == slug


def test_product_create_numbers_slugs_of_same_named_products():
    slugs = [create(sku=f"MUG-{number}").slug for number in range(1, 4)]

    assert slugs == ["mug", "mug-2", "mug-3"]


def test_product_create_skips_numbers_already_taken():
    ProductFactory(slug="mug")
    ProductFactory(slug="mug-2")
    ProductFactory(slug="mug-large")

    assert create().slug == "mug-3"


def test_product_create_keeps_generated_slug_within_the_column():
    product = create(name="a" * 200)

    assert len(product.slug) <= Product._meta.get_field("slug").max_length


def test_product_create_retries_a_generated_slug_taken_by_a_concurrent_writer(monkeypatch):
    ProductFactory(slug="mug")
    # As if another writer inserted "mug" between the lookup and the insert.
    candidates = iter(["mug", "mug-2"])
    monkeypatch.setattr(services, "_free_slug", lambda **kwargs: next(candidates))

    assert create().slug == "mug-2"


def test_product_create_gives_up_on_slug_after_bounded_attempts(monkeypatch):
    ProductFactory(slug="mug")
    monkeypatch.setattr(services, "_free_slug", lambda **kwargs: "mug")

    with pytest.raises(InvalidInput) as error:
        create()

    assert list(error.value.errors) == ["slug"]
    assert Product.objects.count() == 1


def test_product_create_refuses_given_slug_that_is_taken():
    ProductFactory(slug="mug")

    with pytest.raises(InvalidInput) as error:
        create(slug="mug")

    assert list(error.value.errors) == ["slug"]


@pytest.mark.parametrize("sku", ["MUG-1", "mug-1", "Mug-1"])
def test_product_create_refuses_sku_taken_in_any_case(sku):
    ProductFactory(sku="MUG-1")

    with pytest.raises(InvalidInput) as error:
        create(sku=sku)

    assert error.value.errors == {"sku": ["A product with this SKU already exists."]}
    assert Product.objects.count() == 1


def test_product_create_leaves_the_callers_transaction_usable_after_a_duplicate():
    ProductFactory(sku="MUG-1")

    with transaction.atomic():
        with pytest.raises(InvalidInput):
            create()
        created = create(sku="MUG-2")

    assert Product.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-0.01"), Decimal("10000000000")])
def test_product_create_refuses_price_out_of_range(price):
    with pytest.raises(InvalidInput) as error:
        create(price=price)

    assert list(error.value.errors) == ["price"]
    assert Product.objects.count() == 0


def test_product_create_refuses_unknown_category():
    with pytest.raises(InvalidInput) as error:
        create(category_id=987_654)

    assert list(error.value.errors) == ["category"]
    assert Product.objects.count() == 0


def test_product_update_changes_given_fields_only():
    old_category = CategoryFactory()
    new_category = CategoryFactory()
    product = ProductFactory(
        sku="OLD-1", slug="old", description="Kept", category=old_category, price=Decimal("1.00")
    )
    updated_before = product.updated_at

    updated = services.product_update(
        product=product,
        data={"name": "New", "price": Decimal("2.50"), "category_id": new_category.pk},
    )

    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.price, stored.category) == ("New", Decimal("2.50"), new_category)
    assert (stored.sku, stored.slug, stored.description) == ("OLD-1", "old", "Kept")
    assert stored.updated_at > updated_before
    assert updated == stored


def test_product_update_writes_over_a_stale_instance_without_losing_other_changes():
    product = ProductFactory(name="Old", price=Decimal("1.00"))
    stale = Product.objects.get(pk=product.pk)
    services.product_update(product=product, data={"price": Decimal("2.00")})

    services.product_update(product=stale, data={"name": "New"})

    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.price) == ("New", Decimal("2.00"))


def test_product_update_refuses_sku_of_another_product_and_changes_nothing():
    ProductFactory(sku="MUG-1")
    product = ProductFactory(sku="CUP-1", name="Cup")

    with pytest.raises(InvalidInput) as error:
        services.product_update(product=product, data={"sku": "mug-1", "name": "Renamed"})

    assert list(error.value.errors) == ["sku"]
    assert Product.objects.get(pk=product.pk).name == "Cup"


def test_product_update_refuses_taken_slug():
    ProductFactory(slug="mug")
    product = ProductFactory(slug="cup")

    with pytest.raises(InvalidInput) as error:
        services.product_update(product=product, data={"slug": "mug"})

    assert list(error.value.errors) == ["slug"]


def test_product_update_refuses_zero_price():
    product = ProductFactory(price=Decimal("1.00"))

    with pytest.raises(InvalidInput):
        services.product_update(product=product, data={"price": Decimal("0")})

    assert Product.objects.get(pk=product.pk).price == Decimal("1.00")


def test_product_update_refuses_fields_that_are_not_writable():
    product = ProductFactory()

    with pytest.raises(TypeError):
        services.product_update(product=product, data={"currency": "EUR"})


def test_product_update_clears_category_with_none():
    product = ProductFactory(category=CategoryFactory())

    assert services.product_update(product=product, data={"category_id": None}).category is None


def test_product_deactivate_keeps_the_row_and_hides_it():
    product = ProductFactory()

    services.product_deactivate(product=product)

    stored = Product.objects.get(pk=product.pk)
    assert stored.is_active is False


def test_product_deactivate_of_inactive_product_changes_nothing():
    product = ProductFactory(is_active=False)
    updated_before = Product.objects.get(pk=product.pk).updated_at

    services.product_deactivate(product=product)

    assert Product.objects.get(pk=product.pk).updated_at == updated_before


def test_database_refuses_non_positive_price_whoever_writes():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(price=Decimal("0"))


def test_database_refuses_sku_differing_only_in_case_whoever_writes():
    ProductFactory(sku="MUG-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(sku="mug-1")


def test_category_create_makes_unique_slugs():
    first = services.category_create(name="Hats")
    second = services.category_create(name="Hats")

    assert (first.slug, second.slug) == ("hats", "hats-2")


def test_category_create_under_parent():
    parent = CategoryFactory()

    category = services.category_create(name="Caps", slug="caps", parent_id=parent.pk)

    assert Category.objects.get(pk=category.pk).parent == parent


def test_category_create_refuses_unknown_parent_and_taken_slug():
    CategoryFactory(slug="hats")

    with pytest.raises(InvalidInput) as unknown_parent:
        services.category_create(name="Caps", parent_id=987_654)
    with pytest.raises(InvalidInput) as taken_slug:
        services.category_create(name="Hats", slug="hats")

    assert list(unknown_parent.value.errors) == ["parent"]
    assert list(taken_slug.value.errors) == ["slug"]
    assert Category.objects.count() == 1


def test_category_update_moves_category_without_touching_unsent_fields():
    category = CategoryFactory(name="Hats", slug="hats")
    parent = CategoryFactory()

    services.category_update(category=category, data={"parent_id": parent.pk})

    stored = Category.objects.get(pk=category.pk)
    assert (stored.name, stored.slug, stored.parent) == ("Hats", "hats", parent)


def test_category_update_refuses_own_descendant_as_parent():
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    bottom = CategoryFactory(parent=middle)

    for descendant in (top, middle, bottom):
        with pytest.raises(InvalidInput) as error:
            services.category_update(category=top, data={"parent_id": descendant.pk})
        assert list(error.value.errors) == ["parent"]

    assert Category.objects.get(pk=top.pk).parent is None


def test_category_update_allows_moving_below_a_sibling_branch():
    top = CategoryFactory()
    left = CategoryFactory(parent=top)
    right = CategoryFactory(parent=top)

    services.category_update(category=left, data={"parent_id": right.pk})

    assert Category.objects.get(pk=left.pk).parent == right


def test_category_check_parent_accepts_new_categories_and_refuses_cycles():
    top = CategoryFactory()
    child = CategoryFactory(parent=top)

    services.category_check_parent(category=Category(name="New"), parent=child)
    with pytest.raises(InvalidInput):
        services.category_check_parent(category=top, parent=child)


def test_database_refuses_category_as_its_own_parent_whoever_writes():
    category = CategoryFactory()
    category.parent_id = category.pk

    with pytest.raises(IntegrityError), transaction.atomic():
        category.save()


def test_category_delete_leaves_products_without_category():
    category = CategoryFactory()
    product = ProductFactory(category=category)

    services.category_delete(category=category)

    assert not Category.objects.filter(pk=category.pk).exists()
    assert Product.objects.get(pk=product.pk).category is None


def test_category_delete_refuses_category_with_subcategories():
    parent = CategoryFactory()
    CategoryFactory(parent=parent)

    with pytest.raises(Conflict):
        services.category_delete(category=parent)

    assert Category.objects.count() == 2
