"""HTTP interface of the catalog: parse input, call a service or selector, render output."""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import HttpResponse
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

# The cache (products/settings.py) of signed-in customers' catalog reads: see `catalog_read`.
CATALOG_CACHE = "catalog"


def catalog_read(
    view: GenericAPIView, request: Request, answer: Callable[[], Response]
) -> HttpResponseBase:
    """The JSON answer to a catalog read, with an ETag: `answer()` rendered, or for a signed-in
    customer what it rendered for the same question less than PRODUCTS_CATALOG_CACHE_SECONDS
    ago in this process; 304 when the client's If-None-Match names that ETag.

    The cache is for signed-in customers only: they all see the same catalog (active products
    only), so a page rendered for one serves them all, and the gateway cannot cache these
    requests (they carry a token). Staff see inactive products too and get a fresh answer every
    time; so do anonymous clients, whom the gateway's own cache serves: the two caches never
    add up beyond API.md's 2 seconds for a change to show. The key holds everything the bytes
    depend on: the staff bit (always "not staff" here, kept so that a later change cannot mix
    the two), the media type DRF chose (`indent=` changes the bytes) and the absolute URL (the
    list's next/previous links are absolute). Only 200s are kept: an error is raised out of
    `answer()` before anything is stored. Each process has its own cache (LocMem), so nothing is
    shared or invalidated between processes: the short lifetime is the whole freshness rule.

    The ETag is a hash of the bytes, not of `version` or `updated_at`: those do not change when
    deleting a category clears its products' `category`, and a list page also changes when
    products come and go. The browsable API's HTML is rendered by DRF as always.
    """
    if not isinstance(request.accepted_renderer, JSONRenderer):
        return answer()
    user = request.user
    seconds = settings.PRODUCTS_CATALOG_CACHE_SECONDS
    is_cached = seconds > 0 and user.is_authenticated and not user.is_staff
    key = ""
    cached = None
    if is_cached:
        question = f"staff={user.is_staff} {request.accepted_media_type} "
        question += request.build_absolute_uri()
        key = hashlib.sha256(question.encode()).hexdigest()
        cached = caches[CATALOG_CACHE].get(key)
    if cached is not None:
        # The ETag is kept with the bytes: hashing a page again on every hit cost more than
        # looking it up.
        content_type, content, etag = cached
        response: HttpResponseBase = HttpResponse(content, content_type=content_type)
    else:
        response = answer()
        # Rendered here rather than after the view returns, for the bytes; DRF renders exactly
        # so (and does not render a response twice).
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = view.get_renderer_context()
        response.render()
        content = response.content
        etag = quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())
        if is_cached:
            caches[CATALOG_CACHE].set(
                key, (response["Content-Type"], content, etag), timeout=seconds
            )
    response["ETag"] = etag
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
