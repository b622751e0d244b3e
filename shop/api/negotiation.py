"""DRF's content negotiation, remembered: the same few Accept headers arrive on nearly every
request, and parsing them again each time was about a tenth of a cached catalog read."""

from collections.abc import Iterable

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

# Distinct questions remembered per process; clients choose their Accept headers freely, so
# beyond this many the rest are negotiated every time instead of growing the memory.
MAX_REMEMBERED = 256

_Question = tuple[str | None, str | None, tuple[type[BaseRenderer], ...]]
_chosen: dict[_Question, tuple[int, str]] = {}


class RememberingContentNegotiation(DefaultContentNegotiation):
    """`DefaultContentNegotiation`, whose answer depends only on the format asked for, the
    Accept header and the view's renderers: the answer for each such question is kept."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        requested_format = format_suffix or request.query_params.get(
            self.settings.URL_FORMAT_OVERRIDE
        )
        question = (
            requested_format,
            request.META.get("HTTP_ACCEPT"),
            tuple(type(renderer) for renderer in renderers),
        )
        choice = _chosen.get(question)
        if choice is None:
            # Refusals (406) are raised here and never remembered.
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            choice = (renderers.index(renderer), media_type)
            if len(_chosen) < MAX_REMEMBERED:
                _chosen[question] = choice
        index, media_type = choice
        return renderers[index], media_type
