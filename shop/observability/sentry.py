"""Error reporting to Sentry, for web and worker processes alike (both load the settings)."""

from typing import TYPE_CHECKING

from django.conf import settings

from shop.observability.request_id import current_request_id

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> bool:
    """Start reporting errors to Sentry if `dsn` is set; return whether it was.

    Without a DSN the SDK is never initialized: nothing is patched and nothing is sent.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No client addresses, cookies, Authorization headers or users; and, since customers'
        # emails, phones and addresses travel in request bodies and local variables, neither.
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        # 0 turns tracing off altogether rather than sampling none of it.
        traces_sample_rate=traces_sample_rate or None,
        before_send=tag_event,
        before_send_transaction=tag_event,
    )
    return True


def tag_event(event: "Event", hint: "Hint") -> "Event":
    """Tag an event with the service and the request id, to find the request's log lines.

    Runs where the error happened, so the request's (or task's) id is still the current one.
    """
    tags = event.setdefault("tags", {})
    for name, value in (
        ("service", getattr(settings, "SHOP_SERVICE", None)),
        ("request_id", current_request_id()),
    ):
        if value:
            tags.setdefault(name, value)
    return event
