"""HTTP interface of the catalog: parse input, call a service or selector, render output."""

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from products import selectors, services
from products.api.filters import ProductFilterSet, StableOrderingFilter
from products.api.serializers import (
    CategoryCreateInputSerializer,
    CategoryOutputSerializer,
    CategoryUpdateInputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
)
from products.models import Category, Product
from shop.api.permissions import IsStaffOrReadOnly

# Methods whose input serializer `get_serializer_class` names, so that the browsable API builds
# its forms from the fields a client may write rather than from the output.
CREATE_METHODS = ("POST",)
UPDATE_METHODS = ("PUT", "PATCH")


class ProductListView(GenericAPIView):
    permission_classes = [IsStaffOrReadOnly]
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]
    filterset_class = ProductFilterSet
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["price", "name", "created_at"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_list(principal=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.request.method in CREATE_METHODS:
            return ProductCreateInputSerializer
        return ProductOutputSerializer

    @extend_schema(
        responses=ProductOutputSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "search", str, description="Words to find in the name, SKU or description."
            ),
            OpenApiParameter(
                "ordering",
                str,
                description="`price`, `name` or `created_at`, `-` first for descending; "
                "comma-separated for several. Default: `-created_at` (newest first).",
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ProductOutputSerializer(page, many=True).data)

    @extend_schema(request=ProductCreateInputSerializer, responses={201: ProductOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProductCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(**serializer.validated_data)
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(GenericAPIView):
    permission_classes = [IsStaffOrReadOnly]

    def get_object(self) -> Product:
        return selectors.product_get(product_id=self.kwargs["pk"], principal=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.request.method in UPDATE_METHODS:
            return ProductUpdateInputSerializer
        return ProductOutputSerializer

    @extend_schema(responses=ProductOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProductOutputSerializer(self.get_object()).data)

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
        return Response(ProductOutputSerializer(product).data)


class CategoryListView(GenericAPIView):
    permission_classes = [IsStaffOrReadOnly]

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.request.method in CREATE_METHODS:
            return CategoryCreateInputSerializer
        return CategoryOutputSerializer

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


class CategoryDetailView(GenericAPIView):
    permission_classes = [IsStaffOrReadOnly]

    def get_object(self) -> Category:
        return selectors.category_get(slug=self.kwargs["slug"])

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.request.method in UPDATE_METHODS:
            return CategoryUpdateInputSerializer
        return CategoryOutputSerializer

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
        responses={204: None},
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
