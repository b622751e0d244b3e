"""The OpenAPI schema of every service: drf-spectacular's, plus what the shop's conventions answer
that a view's own annotations do not say (tests/e2e/test_schema_fuzz.py holds every service to it).

Every service shares the same error answers (shop/api/errors.py, the gateway's error pages): a
field error is a 400 `{"field": ["message", ...]}`, anything else `{"detail": "message"}`. Which
of them an operation can give follows from what its view is made of, so they are added here,
once, rather than repeated in every `extend_schema`: a 400 anywhere (a NUL in the URL), a 401
where the view authenticates, a 403 where a permission can refuse a signed-in caller, a 404 where
the path names an object or the list is paginated, a 413 and a 415 where it takes a body, a 429
where it is throttled, and the gateway's 414 and 431 for a request line or header over 4 KB.
A view documents what only it knows (a 409 of a business rule) and may word any of these
itself; what it leaves without a body gets the shared error shape.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

from shop.api.permissions import IsStaffOrReadOnly

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Every error but a field error: `{"detail": "message"}`.',
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": False,
}
# Field errors name the field; a nested one (a line of an order) nests, by index as a string
# for a list's items; a request that is no valid document at all is `{"detail": ...}`.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": 'Field errors, `{"field": ["message", ...]}` (nested for nested fields), or '
    '`{"detail": "message"}` for a request that cannot be read at all.',
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

BAD_REQUEST = (
    "Bad input: field errors, a malformed body, or a NUL character (`%00`) in the URL; "
    "nothing was changed."
)
UNAUTHENTICATED = "No valid access token (`Authorization: Bearer <access JWT>`)."
FORBIDDEN = "Signed in, but not allowed to do this (staff only)."
NOT_FOUND = "No such object, or one the caller may not see; or no such page of the list."
TOO_LARGE = "The body is larger than 1 MB (the gateway's limit)."
URI_TOO_LONG = "The request line is longer than 4 KB (the gateway's limit)."
HEADERS_TOO_LARGE = "A header (a cookie, say) is longer than 4 KB (the gateway's limit)."
UNSUPPORTED_MEDIA_TYPE = "The body is not JSON, a form or multipart."
THROTTLED = "Too many requests of this kind; retry after `Retry-After` seconds."


def _may_refuse_signed_in(permission: object, method: str) -> bool:
    """Whether `permission` can answer 403 to a caller with a valid token. An anonymous caller
    meets 401 instead, whatever the permission (DRF: the first authenticator's header)."""
    if isinstance(permission, (AllowAny, IsAuthenticated)):
        return False
    if isinstance(permission, IsStaffOrReadOnly):
        return method not in SAFE_METHODS
    return True


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the shop's error answers and public reads."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        # The catalog is public to read (IsStaffOrReadOnly): say so, as spectacular itself does
        # for IsAuthenticatedOrReadOnly, or clients would send a token they need not have.
        permissions = self.view.get_permissions()
        if (
            self.method in SAFE_METHODS
            and permissions
            and all(not _may_refuse_anonymous(p, self.method) for p in permissions)
            and {} not in auths
        ):
            auths.append({})
        return auths

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self._component("Error", ERROR_SCHEMA)
        validation_error = self._component("ValidationError", VALIDATION_ERROR_SCHEMA)
        responses = operation["responses"]
        for status, description in self._error_statuses(operation).items():
            responses.setdefault(status, {"description": description})
        for status, response in responses.items():
            if not status.startswith(("4", "5")):
                continue
            response.setdefault(
                "content",
                {"application/json": {"schema": validation_error if status == "400" else error}},
            )
            if status in ("429", "503"):
                response.setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> dict[str, str]:
        view = self.view
        parameters = operation.get("parameters", [])
        statuses = {"400": BAD_REQUEST}
        if view.get_authenticators():
            statuses["401"] = UNAUTHENTICATED
        if any(_may_refuse_signed_in(p, self.method) for p in view.get_permissions()):
            statuses["403"] = FORBIDDEN
        # drf-spectacular's own helper, unannotated.
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        is_paginated = self._is_list_view() and paginator is not None
        if is_paginated or any(parameter["in"] == "path" for parameter in parameters):
            statuses["404"] = NOT_FOUND
        if "requestBody" in operation:
            statuses["413"] = TOO_LARGE
        statuses["414"] = URI_TOO_LONG
        if "requestBody" in operation:
            statuses["415"] = UNSUPPORTED_MEDIA_TYPE
        if view.get_throttles():
            statuses["429"] = THROTTLED
        statuses["431"] = HEADERS_TOO_LARGE
        return statuses

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref


def _may_refuse_anonymous(permission: object, method: str) -> bool:
    if isinstance(permission, AllowAny):
        return False
    if isinstance(permission, IsStaffOrReadOnly):
        return method not in SAFE_METHODS
    return True
