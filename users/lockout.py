"""Sign-in lockout: failed password attempts counted per account and per client address in this
service's database (django-axes' database handler), so every process and pod sees the same
counts, and a locked sign-in is refused before the password is checked.

Why axes and these choices:
- Failures, not successes, are what a password guesser produces: an office of sixty behind one
  address signs in freely, while one account attacked from many addresses is locked.
- The account's limit (USERS_LOGIN_FAILURES_PER_ACCOUNT, axes' AXES_FAILURE_LIMIT) is tight;
  the address's (USERS_LOGIN_FAILURES_PER_ADDRESS) generous, since many people share one.
- Any name counts, existing or not, and the answer is the same: a lockout never tells whether
  an account exists.
- A failure while locked is not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off), so
  a lock ends when `Retry-After` says, and success never resets the counts (an attacker with
  an account of their own behind the same address would otherwise wipe them).
- Staff unlock in the admin (Axes > Access attempts: delete the account's rows) or with
  `python manage.py users axes_reset_username <name>`.
"""

import ipaddress
import math
import unicodedata
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.throttling import BaseThrottle


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name failures are counted under: as sign-in matches it (NFKC, any case), so that
    "Alice" and a fullwidth "alice" are one account's attempts."""
    username = (credentials or {}).get("username")
    if username is None:
        return None
    return unicodedata.normalize("NFKC", str(username)).lower()


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the API throttles see it (DRF's DJANGO_NUM_PROXIES rule: only
    the proxies we run may name it), so a client cannot choose its own X-Forwarded-For. Not an
    address at all (a client that reached the service past the gateway and sent junk in the
    header): the peer's, which the client cannot choose."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password backend, for sign-ins that come with a request."""

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            # A sign-in from inside the service (a shell, a test's fixture): no client to
            # count against. Every HTTP sign-in passes its request.
            return None
        return super().authenticate(request, *args, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for the address.

    Axes compares one number with one limit (AXES_FAILURE_LIMIT, the account's). So the
    address's count is given in the account limit's units: failures x account limit //
    address limit reaches the account limit exactly when the address reaches its own.
    Precondition: AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"], in that order.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_account, by_address = (
            attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        per_account = settings.AXES_FAILURE_LIMIT
        per_address = settings.USERS_LOGIN_FAILURES_PER_ADDRESS
        return max(by_account, by_address * per_account // per_address)


RETRY_AFTER_GRAIN_SECONDS = 60


def lockout_retry_after_seconds(request: HttpRequest) -> int | None:
    """Seconds until the sign-in just refused may be tried again, if it was refused (or
    became) locked; None when it was an ordinary wrong password. Caller: right after
    `authenticate(request, ...)` returned None."""
    if not getattr(request, "axes_locked_out", False):
        return None
    credentials = getattr(request, "axes_credentials", None)
    latest_failures = [
        attempts.aggregate(latest=Max("attempt_time"))["latest"]
        for attempts in LockoutHandler().get_user_attempts(request, credentials)
    ]
    now = timezone.now()
    # When the newest failure counted against it leaves the window: a bound, exact for the
    # usual lock (one client, one account).
    latest = max((moment for moment in latest_failures if moment is not None), default=now)
    cool_off = get_cool_off(request) or timedelta(0)
    left = ((latest + cool_off) - now).total_seconds()
    # Up to the minute (never past the cool-off): the seconds would tell apart two accounts
    # locked a moment apart, and when each one's last failure happened.
    rounded = math.ceil(left / RETRY_AFTER_GRAIN_SECONDS) * RETRY_AFTER_GRAIN_SECONDS
    return max(1, min(rounded, math.ceil(cool_off.total_seconds())))
