from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import filters, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from shop.api.permissions import IsStaff
from users import selectors, services
from users.api.serializers import (
    RefreshTokenInputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
    UserOutputSerializer,
    UserPublicOutputSerializer,
    UserRegisterInputSerializer,
    UserUpdateInputSerializer,
)
from users.api.throttling import SharedScopedRateThrottle


class PublicEndpoint(APIView):
    """Anyone may call it; a stale Authorization header must not get in the way."""

    authentication_classes = ()
    permission_classes = (AllowAny,)


class RegisterView(PublicEndpoint):
    throttle_classes = (SharedScopedRateThrottle,)
    throttle_scope = "register"

    @extend_schema(request=UserRegisterInputSerializer, responses={201: UserPublicOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = UserRegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserPublicOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicEndpoint):
    throttle_classes = (SharedScopedRateThrottle,)
    throttle_scope = "login"

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            200: TokenPairOutputSerializer,
            400: OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.'),
            401: OpenApiResponse(description="Wrong credentials, or an inactive account."),
            429: OpenApiResponse(
                description="Too many failed sign-ins for this account or from this address, "
                "or too many sign-ins from this address; retry after `Retry-After` seconds."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, which the lockout marks and counts by.
        pair = services.token_obtain(**serializer.validated_data, request=request._request)
        return Response(asdict(pair))


class TokenRefreshView(PublicEndpoint):
    throttle_classes = (SharedScopedRateThrottle,)
    throttle_scope = "login"

    @extend_schema(
        request=RefreshTokenInputSerializer,
        responses={
            200: TokenPairOutputSerializer,
            401: OpenApiResponse(
                description="Not a valid refresh token: expired, rotated or logged out."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.token_refresh(refresh=serializer.validated_data["refresh"])
        return Response(asdict(pair))


class LogoutView(APIView):
    @extend_schema(request=RefreshTokenInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = RefreshTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(refresh=serializer.validated_data["refresh"], user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwksView(PublicEndpoint):
    renderer_classes = (JSONRenderer,)

    @extend_schema(responses={200: OpenApiResponse(description="JSON Web Key Set (RFC 7517)")})
    def get(self, request: Request) -> Response:
        return Response(selectors.jwks())


class MeView(APIView):
    http_method_names = ["get", "patch", "head", "options"]
    throttle_scope = "account_update"

    def get_throttles(self) -> list[BaseThrottle]:
        # A change answers whether another account has that email: changes are limited per
        # account; reading one's own details is not.
        if self.request.method == "PATCH":
            return [SharedScopedRateThrottle()]
        return []

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(
        request=UserUpdateInputSerializer,
        responses={
            200: UserOutputSerializer,
            400: OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.'),
            429: OpenApiResponse(
                description="Too many changes for this account; retry after `Retry-After` seconds."
            ),
        },
    )
    def patch(self, request: Request) -> Response:
        serializer = UserUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **serializer.validated_data)
        return Response(UserOutputSerializer(user).data)


class UserListView(generics.ListAPIView):
    permission_classes = (IsStaff,)
    serializer_class = UserOutputSerializer
    filter_backends = (filters.SearchFilter,)
    search_fields = ("username", "email")

    def get_queryset(self):
        return selectors.user_list()


class UserDetailView(APIView):
    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request, username: str) -> Response:
        user = selectors.user_get_for_principal(username=username, principal=request.user)
        return Response(UserOutputSerializer(user).data)
