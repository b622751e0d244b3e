"""The browsable API's forms built from what a client may send, not from what it is answered."""

from typing import Any, ClassVar

from rest_framework.generics import GenericAPIView
from rest_framework.serializers import BaseSerializer

CREATE_METHODS = ("POST",)
UPDATE_METHODS = ("PUT", "PATCH")


# No docstring: drf-spectacular describes each operation with its view's docstring, inherited
# from here too. What it does: `get_serializer_class` answers `input_serializer_class` for the
# `input_methods` and `serializer_class` (the output) for the rest. Only the browsable API asks:
# it builds the form of each method it offers from the serializer the view names for that
# method, while the view's own handlers parse and render with the input and output serializers
# themselves (the schema is declared with `extend_schema`). Without it, the form for a POST
# would show the output's fields (ids, totals, versions) instead of what a client may send.
class InputSerializerForms(GenericAPIView[Any]):
    input_serializer_class: ClassVar[type[BaseSerializer[Any]]]
    input_methods: ClassVar[tuple[str, ...]] = CREATE_METHODS

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        # The schema generator may ask without a request.
        if self.request is not None and self.request.method in self.input_methods:
            return self.input_serializer_class
        return super().get_serializer_class()
