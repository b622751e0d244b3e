"""One browser sign-in for every service: the users service's login pages set the `shop_sso`
cookie (a JWT it signs), and every service keeps its own browser session in step with it.

Why a cookie and not each service's own login: the four services share one origin behind the
gateway but each has its own session cookie and its own database; the users service alone holds
passwords. So it vouches for the browser once, in a token any service can check with the public
key (like an access token), and each service turns that into a session of its own. The cookie,
not those sessions, is the sign-in: when it goes (signing out anywhere deletes it) or runs out,
every session it opened ends at its next request.

A copy of the cookie must not outlive the sign-in either. The users service vouches for it on
every request: the gateway asks it, for each request that carries the cookie, whether the
sign-in still stands (not signed out anywhere, the account active and still as much staff as
the cookie says), and passes the cookie on only if it does (deploy/nginx/shop.conf.template,
users.sign_on.sso_check). Signing out on any service tells the users service (`SsoRevoked`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import RedirectView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

from shop.auth.tokens import KeyedToken
from shop.messaging.contract import SsoRevoked
from shop.messaging.outbox import outbox_enqueue

# Set in a session that the SSO cookie opened, so that the session ends with the cookie. A
# session opened otherwise (`force_login` in tests) is left alone.
SESSION_KEY = "shop_sso"
# Sessions hold the backend that authenticated them; a shadow user is an ordinary row for it.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SsoToken(KeyedToken):
    """The SSO cookie's JWT: signed with the users service's private key and checked exactly as
    access tokens are (RS256 only, the key its `kid` names, audience, issuer, expiry), but of
    its own `token_type`, so that neither passes for the other: an access token in the cookie or
    this token as a Bearer is refused."""

    token_type = "sso"  # noqa: S105 (a kind of token, not a password)

    # simplejwt wants one, even to verify. Only the users service issues these tokens, and it
    # sets `exp` from its own USERS_SSO_LIFETIME_SECONDS (users.services.sso_token_issue); a
    # token issued without doing so is expired at once, which fails safe.
    lifetime = timedelta(0)


@dataclass(frozen=True)
class SsoClaims:
    """Who the users service says the browser belongs to."""

    user_id: int
    username: str
    is_staff: bool
    is_superuser: bool
    # The cookie's own id and expiry (seconds since the epoch): what a sign-out names.
    jti: str
    expires_at: int


def sso_claims(raw: str) -> SsoClaims | None:
    """The claims of a valid SSO token; None for anything else (none at all, forged, expired,
    another kind of token, claims missing, revoked)."""
    if not raw:
        return None
    try:
        # simplejwt annotates the token as a Token, where it takes the encoded string too.
        token = SsoToken(raw)  # type: ignore[arg-type]
        claims = SsoClaims(
            user_id=int(token[api_settings.USER_ID_CLAIM]),
            username=str(token["username"]),
            is_staff=token.get("is_staff") is True,
            is_superuser=token.get("is_superuser") is True,
            jti=str(token[api_settings.JTI_CLAIM]),
            expires_at=int(token["exp"]),
        )
    except (TokenError, KeyError, TypeError, ValueError):
        return None
    return claims if claims.username and claims.jti else None


def sso_cookie_set(response: HttpResponseBase, *, token: str, max_age_seconds: int) -> None:
    # Path "/": one origin, so every service behind the gateway gets it. HttpOnly: no script
    # needs it. SameSite=Lax: sent when following a link from elsewhere, not with a cross-site
    # POST. Secure: see SHOP_SSO_COOKIE_SECURE.
    response.set_cookie(
        settings.SHOP_SSO_COOKIE_NAME,
        token,
        max_age=max_age_seconds,
        path="/",
        secure=settings.SHOP_SSO_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def sso_cookie_delete(response: HttpResponseBase) -> None:
    response.delete_cookie(settings.SHOP_SSO_COOKIE_NAME, path="/", samesite="Lax")


def sso_shadow_user_sync(*, claims: SsoClaims) -> AbstractUser:
    """This service's copy of the users service's account: the row that its admin, its sessions
    and its browsable API need. Its primary key IS the account's id, so `request.user.id` means
    the same in a browser session as in a JWT principal (an order's `user_id`, say).

    Username and staff status follow the claims at every sign-in. Local `is_superuser` is the
    `is_staff` claim: the API's authorization is that one bit, and the admin follows it, so
    staff may do in every admin what the API lets staff do (each admin's own refusals, such as
    never deleting a product, hold for superusers too). Per-model permissions would need
    someone to grant them on each service: the per-service superuser this sign-on removes.
    A shadow never has a usable password: nobody signs in here with one.
    """
    user_model = get_user_model()
    wanted = {
        "username": claims.username,
        "is_staff": claims.is_staff,
        "is_superuser": claims.is_staff,
        "is_active": True,
    }
    with transaction.atomic():
        # A username moves between accounts on the users service (one is renamed, another takes
        # the old name); the claims are the truth, so a stale local holder gives it up. `~` is
        # never in a users service username (Django's validator), so the new name is free.
        stale_holders = user_model.objects.select_for_update().filter(username=claims.username)
        for holder in stale_holders.exclude(pk=claims.user_id):
            holder.username = f"~{holder.pk}"
            holder.save(update_fields=["username"])
        user, created = user_model.objects.select_for_update().get_or_create(
            pk=claims.user_id, defaults={**wanted, "password": make_password(None)}
        )
        changed = [field for field, value in wanted.items() if getattr(user, field) != value]
        for field in changed:
            setattr(user, field, wanted[field])
        if user.has_usable_password():
            # A row made before the single sign-on (`createsuperuser`), now the account's.
            user.set_unusable_password()
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        if not created:
            # An adopted local row (or a shadow someone granted rights to in this admin) keeps
            # no groups or permissions of its own: the claims are all the authority it has, so
            # an account demoted on the users service is not left with rights granted here.
            user.groups.clear()
            user.user_permissions.clear()
    if created:
        _move_id_sequence_past_shadows(user_model)
    return user


def _move_id_sequence_past_shadows(user_model: type[AbstractBaseUser]) -> None:
    # Shadows take their ids from the users service, and PostgreSQL does not move a sequence
    # past ids inserted explicitly: without this, a local `createsuperuser` would pick a
    # taken id. (SQLite needs nothing: it gives an empty list.)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [user_model]):
            cursor.execute(statement)


class SingleSignOnMiddleware:
    """Keeps this service's browser session in step with the SSO cookie (after Django's
    AuthenticationMiddleware): a valid cookie signs the browser in as its account, replacing a
    session of anyone else; no valid cookie ends a session that a cookie opened.

    Only the session is made here: CSRF checks on unsafe methods happen as usual, and DRF
    authenticates a request that carries a Bearer token from the token, whatever the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        claims = sso_claims(request.COOKIES.get(settings.SHOP_SSO_COOKIE_NAME, ""))
        if claims is not None and self.is_signed_in_as(request, claims):
            return self.get_response(request)
        user = self.user_for(claims) if claims is not None else None
        if user is not None:
            # django-stubs types login's user as the type checker's AUTH_USER_MODEL (the users
            # service's User); here it is this service's own, whichever that is.
            login(request, user, backend=MODEL_BACKEND)  # type: ignore[arg-type]
            request.session[SESSION_KEY] = True
        elif request.session.get(SESSION_KEY):
            # Signed out on another service, or the cookie ran out.
            logout(request)
        return self.get_response(request)

    def is_signed_in_as(self, request: HttpRequest, claims: SsoClaims) -> bool:
        user = request.user
        return (
            bool(request.session.get(SESSION_KEY))
            and user.is_authenticated
            and user.pk == claims.user_id
            and self.is_current(user, claims)
        )

    def is_current(self, user: AbstractUser, claims: SsoClaims) -> bool:
        # Claims change when the account does (renamed, made or no longer staff) and the
        # browser signs in again: the shadow follows.
        return (user.username, user.is_staff, user.is_superuser) == (
            claims.username,
            claims.is_staff,
            claims.is_staff,
        )

    def user_for(self, claims: SsoClaims) -> AbstractUser | None:
        """The local user the claims stand for; None when there is none to sign in."""
        return sso_shadow_user_sync(claims=claims)


class UsersLoginRedirectView(RedirectView):
    """A login page of a service that has none of its own: on to the users service's
    corresponding page, which comes back to `next` (the same origin, behind the gateway)."""

    login_url = ""
    # Where to come back to without a `next`: a URL name, or none.
    default_next_url_name: str | None = None

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        next_url = self.request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            next_url = reverse(self.default_next_url_name) if self.default_next_url_name else ""
        if not next_url:
            return self.login_url
        query = QueryDict(mutable=True)
        query[REDIRECT_FIELD_NAME] = next_url
        return f"{self.login_url}?{query.urlencode(safe='/')}"


class SsoLogoutView(auth_views.LogoutView):
    """Django's logout, plus the end of the SSO cookie: signing out on one service signs the
    browser out of every one (each ends its session at its next request), and the users service
    is told that the cookie ended, so that a copy of it opens nothing either."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        claims = sso_claims(request.COOKIES.get(settings.SHOP_SSO_COOKIE_NAME, ""))
        if claims is not None:
            with transaction.atomic():
                outbox_enqueue(
                    SsoRevoked(user_id=claims.user_id, jti=claims.jti, expires_at=claims.expires_at)
                )
        response = super().post(request, *args, **kwargs)
        sso_cookie_delete(response)
        return response


class AdminSsoLogoutView(SsoLogoutView):
    """The admin's logout, rendered as `AdminSite.logout` renders it."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "has_permission": False,
        }
