"""HTTP interface of the orders service: parse, call a service or selector, render."""

from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.serializers import (
    ErrorOutputSerializer,
    OrderListInputSerializer,
    OrderOutputSerializer,
    OrderPayInputSerializer,
    OrderPlaceInputSerializer,
    order_output,
)
from orders.models import Order
from orders.selectors import order_get_for_owner, order_get_for_user, order_list
from orders.services import order_cancel, order_pay, order_place
from orders.services.placement import IDEMPOTENCY_KEY_HEADER
from shop.api.forms import InputSerializerForms
from shop.api.queueing import refuse_when_queued_longer_than
from shop.auth.tokens import Principal

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_KEY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Up to 255 printable ASCII characters, unique per placement. The same key with the "
        "same body answers the order placed first; with another body, 409."
    ),
)


def error_response(description: str) -> OpenApiResponse:
    """An error answer in the `{"detail": ...}` shape, with what it means here."""
    return OpenApiResponse(ErrorOutputSerializer, description=description)


NOT_FOUND = error_response("Not your order, or no such order.")
FIELD_ERRORS = OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.')


@extend_schema_view(
    get=extend_schema(
        parameters=[OrderListInputSerializer],
        summary="The caller's orders (staff: everyone's), newest first",
    )
)
class OrderListView(InputSerializerForms, generics.ListAPIView):
    serializer_class = OrderOutputSerializer
    input_serializer_class = OrderPlaceInputSerializer
    # Query parameters are validated by OrderListInputSerializer and applied by the selector.
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        filters = OrderListInputSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return order_list(principal=Principal.of(self.request.user), **filters.validated_data)

    @extend_schema(
        request=OrderPlaceInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            202: OpenApiResponse(
                OrderOutputSerializer,
                description="Placed (status pending; stock is reserved asynchronously), or "
                "the order placed earlier with this Idempotency-Key. Location: the order.",
            ),
            400: FIELD_ERRORS,
            409: error_response(
                "Idempotency-Key reused with another body; or the customer holds "
                "the most open orders, or units of a product in them, one customer may."
            ),
            429: error_response(
                "Too many placements from this address (the gateway's limit); "
                "nothing was recorded; retry after `Retry-After` seconds."
            ),
            503: error_response(
                "Overloaded: nothing was recorded; retry after `Retry-After` seconds."
            ),
        },
        summary="Place an order",
    )
    def post(self, request: Request) -> Response:
        refuse_when_queued_longer_than(request, settings.ORDERS_MAX_QUEUE_SECONDS)
        serializer = OrderPlaceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, is_replay = order_place(
            principal=Principal.of(request.user),
            idempotency_key=request.headers.get(IDEMPOTENCY_KEY_HEADER),
            **serializer.validated_data,
        )
        headers = {"Location": reverse("order-detail", kwargs={"order_id": order.id})}
        if is_replay:
            headers["Idempotent-Replayed"] = "true"
        data = order_output(order)
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)


class OrderDetailView(APIView):
    @extend_schema(
        responses=OrderOutputSerializer,
        summary="One order with its lines and status history (owner or staff)",
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        order = order_get_for_user(order_id=order_id, principal=Principal.of(request.user))
        return Response(order_output(order))


class OrderPayView(APIView):
    @extend_schema(
        request=OrderPayInputSerializer,
        responses={
            200: OrderOutputSerializer,
            400: FIELD_ERRORS,
            402: error_response(
                "Declined (one message, whatever the reason); the order stays payable."
            ),
            404: NOT_FOUND,
            409: error_response(
                "Not awaiting payment, reservation over, or declined the most "
                "times an order may be."
            ),
            429: error_response(
                "The customer's payments were declined too often lately; retry "
                "after `Retry-After` seconds."
            ),
        },
        summary="Pay for an order awaiting payment (its customer only)",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        # Found first, so that someone else's order is a 404 whatever the body holds.
        principal = Principal.of(request.user)
        order = order_get_for_owner(order_id=order_id, principal=principal)
        serializer = OrderPayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_pay(
            order=order, principal=principal, payment=serializer.validated_data["card"]
        )
        return Response(order_output(order))


class OrderCancelView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: OrderOutputSerializer,
            404: NOT_FOUND,
            409: error_response("Neither pending nor awaiting payment."),
        },
        summary="Cancel an order and release its stock (owner or staff)",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        principal = Principal.of(request.user)
        order = order_get_for_user(order_id=order_id, principal=principal)
        order = order_cancel(order=order, principal=principal)
        return Response(order_output(order))
