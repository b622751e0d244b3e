"""The inventory API: thin views over `inventory.selectors` and `inventory.services`."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors, services
from inventory.api.serializers import (
    StockAdjustInputSerializer,
    StockListInputSerializer,
    StockMovementOutputSerializer,
    StockOutputSerializer,
    StockPublicOutputSerializer,
    StockStaffOutputSerializer,
)
from inventory.models import StockMovement, StockRecord
from shop.api.permissions import IsStaff

NOT_FOUND = OpenApiResponse(description="No stock record for this product id.")


@extend_schema(parameters=[StockListInputSerializer])
class StockListView(generics.ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = StockStaffOutputSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[StockRecord]:
        filters = StockListInputSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.stock_list(low_stock=filters.validated_data.get("low_stock"))


class StockDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        description="Anyone sees what is available of a product the catalog shows (any other "
        "is 404, as in the catalog); staff see every product, with on hand and reserved.",
        responses={
            200: StockOutputSerializer,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, product_id: int) -> Response:
        record = selectors.stock_get(product_id=product_id, include_hidden=request.user.is_staff)
        if request.user.is_staff:
            return Response(StockStaffOutputSerializer(record).data)
        return Response(StockPublicOutputSerializer(record).data)


class StockAdjustView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=StockAdjustInputSerializer,
        responses={
            200: StockStaffOutputSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(
                description="The change would take on hand below reserved or below zero; "
                "nothing was changed."
            ),
        },
    )
    def post(self, request: Request, product_id: int) -> Response:
        payload = StockAdjustInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = services.stock_adjust(
            product_id=product_id,
            delta=payload.validated_data["delta"],
            reason=payload.validated_data["reason"],
            actor=request.user.username,
        )
        return Response(StockStaffOutputSerializer(record).data)


class StockMovementListView(generics.ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = StockMovementOutputSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[StockMovement]:
        return selectors.movement_list(product_id=self.kwargs["product_id"])
