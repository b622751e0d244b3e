"""The catalog's API shapes. Input serializers name exactly the fields a client may write, each
bounded, so that nothing oversized reaches the database; output serializers are read-only."""

from collections.abc import Iterable
from decimal import Decimal

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict

from products.models import MAX_PRICE, Category, Product
from shop.messaging.contract import BIGINT_MAX

# Ids are bigints; a larger number is a client error, not a database overflow.
# Slugs are lowercased on input: in a URL, "Shoes" and "shoes" had better be one category.
# Letters, digits and ". _ -", starting with a letter or digit: SKUs are printed on labels and
# typed into warehouse terminals, so they carry no spaces or control characters.
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z"
DESCRIPTION_MAX_LENGTH = 10_000
CATEGORY_HELP_TEXT = "The category's id, or null."
PARENT_HELP_TEXT = "The parent category's id, or null for a top-level category."


# Lowercases `slug` (above: one category per slug in a URL). No docstring: drf-spectacular
# would describe every serializer made from it with that docstring.
class LowercaseSlugSerializer(serializers.Serializer):
    def validate_slug(self, value: str) -> str:
        return value.lower()


def _nullable_id_field(*, source: str, help_text: str, **default: None) -> serializers.IntegerField:
    """An optional id of another row of the catalog, or null. A create passes `default=None`; an
    update passes none, so that a field left out keeps its value."""
    return serializers.IntegerField(
        source=source,
        min_value=1,
        max_value=BIGINT_MAX,
        allow_null=True,
        required=False,
        help_text=help_text,
        **default,
    )


def _description_field(**default: str) -> serializers.CharField:
    """The optional description; a create passes `default=""`, an update none (as above)."""
    return serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, **default
    )


class ProductCreateInputSerializer(LowercaseSlugSerializer):
    sku = serializers.RegexField(
        SKU_PATTERN,
        max_length=64,
        error_messages={"invalid": "Use letters, digits, '.', '_' and '-' only."},
    )
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220, required=False)
    description = _description_field(default="")
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_PRICE
    )
    category = _nullable_id_field(source="category_id", help_text=CATEGORY_HELP_TEXT, default=None)
    is_active = serializers.BooleanField(required=False, default=True)


class ProductUpdateInputSerializer(ProductCreateInputSerializer):
    """PUT replaces `sku`, `name` and `price` and any other field given; PATCH any field given.
    Fields left out keep their values."""

    description = _description_field()
    category = _nullable_id_field(source="category_id", help_text=CATEGORY_HELP_TEXT)
    is_active = serializers.BooleanField(required=False)


class ProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "category",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# One shared instance renders every product, for every request and thread: a ModelSerializer
# builds its fields (model introspection and deep copies) once per instance, which cost about as
# much as rendering a whole page of products; rendering only reads them.
_PRODUCT_OUTPUT = ProductOutputSerializer()


def product_output(product: Product) -> ReturnDict:
    """What `ProductOutputSerializer(product).data` is, with the fields built once.

    Like `.data`, it knows its serializer (whose own fields are built only if asked for): the
    browsable API fills its edit form from that serializer's instance.
    """
    return ReturnDict(
        _PRODUCT_OUTPUT.to_representation(product), serializer=ProductOutputSerializer(product)
    )


def products_output(products: Iterable[Product]) -> list[dict]:
    """What `ProductOutputSerializer(products, many=True).data` is, with the fields built once."""
    return [_PRODUCT_OUTPUT.to_representation(product) for product in products]


class CategoryCreateInputSerializer(LowercaseSlugSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=120, required=False)
    parent = _nullable_id_field(source="parent_id", help_text=PARENT_HELP_TEXT, default=None)


class CategoryUpdateInputSerializer(CategoryCreateInputSerializer):
    """PUT replaces `name` and any other field given; PATCH any field given."""

    parent = _nullable_id_field(source="parent_id", help_text=PARENT_HELP_TEXT)


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent"]
        read_only_fields = fields
