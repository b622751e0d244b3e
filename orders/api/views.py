"""HTTP interface of the orders service: parse, call a selector, render."""

from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.serializers import OrderListInputSerializer, OrderOutputSerializer
from orders.models import Order
from orders.selectors import order_get_for_user, order_list


@extend_schema_view(
    get=extend_schema(
        parameters=[OrderListInputSerializer],
        summary="The caller's orders (staff: everyone's), newest first",
    )
)
class OrderListView(generics.ListAPIView):
    serializer_class = OrderOutputSerializer
    # Query parameters are validated by OrderListInputSerializer and applied by the selector.
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        filters = OrderListInputSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return order_list(principal=self.request.user, **filters.validated_data)


class OrderDetailView(APIView):
    @extend_schema(
        responses=OrderOutputSerializer,
        summary="One order with its lines and status history (owner or staff)",
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        order = order_get_for_user(order_id=order_id, principal=request.user)
        return Response(OrderOutputSerializer(order).data)
