"""Emails to users: the welcome on registration, and the news about their orders."""

import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from shop.messaging.contract import NOTIFICATION_KINDS, ContractError
from users.models import User

logger = logging.getLogger(__name__)

TEMPLATE_DIRECTORY = "users/email"


class UnknownNotificationKind(ContractError):
    """A kind outside the contract's `NOTIFICATION_KINDS`: no template to render, so retrying
    cannot help until this service learns the kind (then staff replay the dead message)."""


def notification_send(*, user_id: int, kind: str, context: Mapping[str, str]) -> bool:
    """Email the user the message of `kind`, filled with `context` (`order_id`, `total`,
    `currency`, `reason`; keys a template does not use are ignored, missing ones render empty).

    Returns whether an email went out: a deleted or deactivated user, or one without an email
    address, gets none, and that is logged, not raised (no retry would change it).
    Raises `UnknownNotificationKind` for a kind it has no template for.

    Delivery is at least once: the caller (the consumer) records the message processed after
    this returns, so a crash between the mail server accepting the email and that commit sends
    it again on redelivery. A mail server cannot take part in the database's transaction.
    """
    if kind not in NOTIFICATION_KINDS:
        raise UnknownNotificationKind(f"unknown notification kind {kind!r}")
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email:
        logger.info(
            "not sending %s to user %s: %s",
            kind,
            user_id,
            "no such user" if user is None else "inactive or without email",
        )
        return False
    subject, body = notification_render(user=user, kind=kind, context=context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    logger.info("sent %s to user %s", kind, user_id)
    return True


def notification_render(*, user: User, kind: str, context: Mapping[str, str]) -> tuple[str, str]:
    """The subject (one line) and plain-text body of the email of `kind` for `user`."""
    # The message's context first: it must not replace the user the email is addressed to.
    values = {**context, "user": user}
    subject = render_to_string(f"{TEMPLATE_DIRECTORY}/{kind}_subject.txt", values)
    body = render_to_string(f"{TEMPLATE_DIRECTORY}/{kind}.txt", values)
    # A header line break would end the subject early (and Django refuses one outright).
    return " ".join(subject.split()), body.strip() + "\n"
