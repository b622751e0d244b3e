"""Query parameters of the product list: filters here, search and ordering by DRF's backends."""

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from products.models import MAX_PRICE, Product

# Each search term is an ILIKE on the name, the SKU and the description of every product: a
# query of hundreds of terms costs the database thousands of them per row (API.md: at most 10).
MAX_SEARCH_TERMS = 10


def _price_filter(*, lookup_expr: str) -> django_filters.NumberFilter:
    """A bound on the price, itself bounded like a price."""
    return django_filters.NumberFilter(
        field_name="price",
        lookup_expr=lookup_expr,
        min_value=Decimal(0),
        max_value=MAX_PRICE,
        max_digits=12,
        decimal_places=2,
    )


class ProductFilterSet(FilterSet):
    category = django_filters.CharFilter(
        field_name="category__slug", max_length=120, label="Category slug"
    )
    min_price = _price_filter(lookup_expr="gte")
    max_price = _price_filter(lookup_expr="lte")
    # The selector already hides inactive products from non-staff, so for them this can only
    # narrow the list to nothing, never reveal anything.
    is_active = django_filters.BooleanFilter(label="Active (staff only)")

    class Meta:
        model = Product
        fields = ["category", "min_price", "max_price", "is_active"]


class ProductFilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the query names none of the FilterSet's filters.

    Most list requests only page through the catalog; for them the FilterSet (deep copies of its
    filters, a form class made on the fly, the form's validation) would filter nothing and cost
    about as much as the page's query. A request that names a filter, even with an empty or
    invalid value, is filtered (and refused) as before.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    """Orders as asked, then by id, so that products with equal prices or names cannot move
    between pages from one request to the next."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            return queryset.order_by(*ordering, "-id")
        return queryset


class BoundedSearchFilter(SearchFilter):
    """DRF's search (terms split at whitespace and commas, quoted phrases kept whole), refusing
    more than MAX_SEARCH_TERMS terms with 400 before any query runs."""

    def get_search_terms(self, request: Request) -> list[str]:
        terms = super().get_search_terms(request)
        if len(terms) > MAX_SEARCH_TERMS:
            raise ValidationError(
                {self.search_param: [f"At most {MAX_SEARCH_TERMS} search terms, not {len(terms)}."]}
            )
        return terms
