"""HTTP interface of the catalog: parse input, call a service or selector, render output."""

import hashlib
from collections.abc import Callable

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from products import selectors, services
from products.api.catalog_cache import keep_for_customers
from products.api.filters import (
    MAX_SEARCH_TERMS,
    BoundedSearchFilter,
    ProductFilterBackend,
    ProductFilterSet,
    StableOrderingFilter,
)
from products.api.serializers import (
    CategoryCreateInputSerializer,
    CategoryOutputSerializer,
    CategoryUpdateInputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
    product_output,
    products_output,
)
from products.models import Category, Product
from shop.api.forms import UPDATE_METHODS, InputSerializerForms
from shop.api.permissions import IsStaffOrReadOnly


def catalog_read(
    view: GenericAPIView, request: Request, answer: Callable[[], Response]
) -> HttpResponseBase:
    """The JSON answer to a catalog read, rendered, with an ETag; 304 when the client's
    If-None-Match names that ETag. A signed-in customer's answer may be kept for the next
    customers (products.api.catalog_cache): every customer sees the same catalog (active
    products only). Staff see inactive products too, so theirs never is.

    The ETag is a hash of the bytes, not of `version` or `updated_at`: those do not change when
    deleting a category clears its products' `category`, and a list page also changes when
    products come and go. The browsable API's HTML is rendered by DRF as always.
    """
    if not isinstance(request.accepted_renderer, JSONRenderer):
        return answer()
    response = answer()
    # Rendered here rather than after the view returns, for the bytes; DRF renders exactly so
    # (and does not render a response twice).
    response.accepted_renderer = request.accepted_renderer
    response.accepted_media_type = request.accepted_media_type
    response.renderer_context = view.get_renderer_context()
    response.render()
    etag = quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest())
    response["ETag"] = etag
    user = request.user
    if user.is_authenticated and not user.is_staff:
        keep_for_customers(response)
    return get_conditional_response(request, etag=etag, response=response)


class ProductListView(InputSerializerForms):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ProductOutputSerializer
    input_serializer_class = ProductCreateInputSerializer
    filter_backends = [ProductFilterBackend, BoundedSearchFilter, StableOrderingFilter]
    filterset_class = ProductFilterSet
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["price", "name", "created_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list(principal=self.request.user)

    @extend_schema(
        responses=ProductOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="Words to find in the name, SKU or description (each must be "
                f"found; at most {MAX_SEARCH_TERMS}, more: 400).",
            ),
            OpenApiParameter(
                "ordering",
                str,
                description="`price`, `name` or `created_at`, `-` first for descending; "
                "comma-separated for several. Default: `-created_at` (newest first).",
            ),
        ],
    )
    def get(self, request: Request) -> HttpResponseBase:
        return catalog_read(self, request, self._list)

    def _list(self) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(products_output(page))

    @extend_schema(request=ProductCreateInputSerializer, responses={201: ProductOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProductCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(**serializer.validated_data)
        return Response(product_output(product), status=status.HTTP_201_CREATED)


class ProductDetailView(InputSerializerForms):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ProductOutputSerializer
    input_serializer_class = ProductUpdateInputSerializer
    input_methods = UPDATE_METHODS

    def get_object(self) -> Product:
        return selectors.product_get(product_id=self.kwargs["pk"], principal=self.request.user)

    @extend_schema(responses=ProductOutputSerializer)
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return catalog_read(self, request, lambda: Response(product_output(self.get_object())))

    @extend_schema(request=ProductUpdateInputSerializer, responses=ProductOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=ProductUpdateInputSerializer, responses=ProductOutputSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        responses={204: None},
        description="Takes the product off sale: it becomes inactive and stays in the catalog.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.product_deactivate(product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        product = self.get_object()
        serializer = ProductUpdateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product = services.product_update(product=product, data=serializer.validated_data)
        return Response(product_output(product))


class CategoryListView(InputSerializerForms):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = CategoryOutputSerializer
    input_serializer_class = CategoryCreateInputSerializer

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()

    @extend_schema(responses=CategoryOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CategoryOutputSerializer(page, many=True).data)

    @extend_schema(request=CategoryCreateInputSerializer, responses={201: CategoryOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = CategoryCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(**serializer.validated_data)
        return Response(CategoryOutputSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailView(InputSerializerForms):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = CategoryOutputSerializer
    input_serializer_class = CategoryUpdateInputSerializer
    input_methods = UPDATE_METHODS

    def get_object(self) -> Category:
        return selectors.category_get(slug=self.kwargs["slug"])

    @extend_schema(responses=CategoryOutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(CategoryOutputSerializer(self.get_object()).data)

    @extend_schema(request=CategoryUpdateInputSerializer, responses=CategoryOutputSerializer)
    def put(self, request: Request, slug: str) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=CategoryUpdateInputSerializer, responses=CategoryOutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="It has subcategories; nothing was deleted."),
        },
        description="Its products stay, without a category. Refused (409) while it has "
        "subcategories.",
    )
    def delete(self, request: Request, slug: str) -> Response:
        services.category_delete(category=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        category = self.get_object()
        serializer = CategoryUpdateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        category = services.category_update(category=category, data=serializer.validated_data)
        return Response(CategoryOutputSerializer(category).data)
