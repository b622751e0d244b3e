"""Accounts and tokens: registering, signing in, refreshing, signing out, changing one's details."""

import time
from dataclasses import dataclass
from datetime import timedelta

from confusable_homoglyphs import confusables
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from shop.auth.sso import SsoClaims, SsoToken
from shop.auth.tokens import RefreshToken
from shop.errors import InvalidInput, Unauthenticated
from shop.messaging.contract import SendNotification, SsoRevoked
from shop.messaging.outbox import outbox_enqueue
from users.errors import SignInLocked
from users.lockout import lockout_retry_after_seconds
from users.models import SsoRevocation, User

USERNAME_TAKEN = "A user with that username already exists."
USERNAME_MIXED_SCRIPT = (
    "This username mixes letters of different scripts that look alike; use one script."
)
USERNAME_LOOKALIKE = "This username looks like one that is already taken."
# The scripts of the names people already have and see in every admin: a name from another
# script that is written with letters looking like these is a look-alike.
LOOKALIKE_SCRIPTS = ["latin", "common"]
EMAIL_TAKEN = "A user with that email already exists."


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def user_register(*, username: str, email: str, password: str, phone: str = "") -> User:
    """Create a customer account, and in the same transaction ask for the welcome email (sent
    by this service's worker once the account is committed; at least once, see
    `users.notifications.notification_send`).

    The username is NFKC-normalized first, as Django's own forms do, so a fullwidth
    "alice" is "alice" (taken when alice exists); a name mixing look-alike letters of
    several scripts, or written in another script to look like a taken name, is refused.
    """
    username = User.normalize_username(username)
    user = User(username=username, email=User.objects.normalize_email(email), phone=phone)
    errors = _taken_errors(username=username, email=user.email)
    if "username" not in errors:
        lookalike_error = _username_lookalike_error(username)
        if lookalike_error:
            errors["username"] = [lookalike_error]
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise InvalidInput(errors)
    user.set_password(password)
    with transaction.atomic():
        try:
            # A savepoint: after a violation the transaction must stay usable for the lookup.
            with transaction.atomic():
                user.save()
        except IntegrityError as error:
            # A concurrent registration took the name after our check; the constraint decides.
            raise InvalidInput(
                _taken_errors(username=username, email=user.email) or {"username": [USERNAME_TAKEN]}
            ) from error
        outbox_enqueue(SendNotification(user_id=user.pk, kind="welcome"))
    return user


def user_update(*, user: User, email: str | None = None, phone: str | None = None) -> User:
    """Change the details a user may change about themselves: email and phone, nothing else."""
    if email is not None:
        email = User.objects.normalize_email(email)
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise InvalidInput({"email": [EMAIL_TAKEN]})
        user.email = email
    if phone is not None:
        user.phone = phone
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "phone"])
    except IntegrityError as error:
        raise InvalidInput({"email": [EMAIL_TAKEN]}) from error
    return user


def token_obtain(*, username: str, password: str, request: HttpRequest | None = None) -> TokenPair:
    """Sign in with a password. `request` is the client's, for the lockout (users.lockout):
    after too many failures for the account or from the address, `SignInLocked` (429) whatever
    the password; without a request (a call from inside the service) nothing is counted."""
    username = User.normalize_username(username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        retry_after = lockout_retry_after_seconds(request) if request is not None else None
        if retry_after is not None:
            raise SignInLocked(
                f"Too many failed sign-in attempts; try again in {retry_after} seconds.",
                retry_after_seconds=retry_after,
            )
        # The same answer for an unknown name, a wrong password and an inactive account.
        raise Unauthenticated("No active account found with the given credentials.")
    update_last_login(type(user), user)
    return _issue_token_pair(user)


def token_refresh(*, refresh: str) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh token is dead from then on.

    Claims are read again from the account, so a demoted or renamed user's next access token
    says so. Two concurrent refreshes with one token: exactly one wins, the other gets 401.
    """
    token = _parse_refresh_token(refresh)
    if not _blacklist(token):
        raise Unauthenticated("Token is blacklisted.")
    user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise Unauthenticated("No active account found for the given token.")
    return _issue_token_pair(user)


def token_revoke(*, refresh: str, user: User) -> None:
    """Sign out: the given refresh token can never be used again."""
    token = _parse_refresh_token(refresh)
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidInput({"refresh": ["This token belongs to another account."]})
    _blacklist(token)


def sso_token_issue(*, user: User) -> str:
    """The token of the browser's SSO cookie, set at the login pages (see shop.auth.sso): proof for
    every other service that this browser signed in as `user`, until it expires
    (USERS_SSO_LIFETIME_SECONDS) or the browser logs out. Caller has authenticated `user`."""
    token = SsoToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=settings.USERS_SSO_LIFETIME_SECONDS))
    token["username"] = user.username
    token["is_staff"] = user.is_staff
    token["is_superuser"] = user.is_superuser
    return str(token)


def _issue_token_pair(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    # Copied into every access token made from this refresh token, so other services can
    # authorize without asking the users service.
    refresh["username"] = user.username
    refresh["is_staff"] = user.is_staff
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _parse_refresh_token(raw: str) -> RefreshToken:
    try:
        # simplejwt annotates the token as a Token, where it takes the encoded string too.
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as error:
        raise Unauthenticated(str(error)) from error


def _blacklist(token: RefreshToken) -> bool:
    """Blacklist the token; False when it already was (the unique row decides races)."""
    jti = token[api_settings.JTI_CLAIM]
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=jti).first()
        if outstanding is None:
            # Every refresh token we issue is recorded at issue time; one that is not was
            # issued before the table existed or after it was pruned.
            raise Unauthenticated("Token is invalid or expired.")
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _username_lookalike_error(username: str) -> str | None:
    if confusables.is_dangerous(username, preferred_aliases=LOOKALIKE_SCRIPTS):
        # Refused whether or not the name it mimics exists yet, so that nobody can take the
        # look-alike of a name before its owner registers.
        return USERNAME_MIXED_SCRIPT
    lookalike = _latin_lookalike(username)
    if lookalike != username and User.objects.filter(username__iexact=lookalike).exists():
        return USERNAME_LOOKALIKE
    return None


def _latin_lookalike(username: str) -> str:
    """`username` with every letter that merely looks Latin (a Cyrillic "a", a Greek "o")
    replaced by the Latin letter it looks like."""
    found = confusables.is_confusable(username, greedy=True, preferred_aliases=LOOKALIKE_SCRIPTS)
    if not found:
        return username
    replacements = {item["character"]: item["homoglyphs"][0]["c"] for item in found}
    return "".join(replacements.get(character, character) for character in username)


def _taken_errors(*, username: str, email: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [USERNAME_TAKEN]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_TAKEN]
    return errors


def sso_revocation_record(*, revocation: SsoRevoked) -> None:
    """Remember that the SSO cookie `revocation.jti` signed out (see `sso_sign_in_stands`).

    Idempotent: the unique `jti` makes a second delivery a no-op. Also forgets the sign-outs
    whose cookies have run out since, so that the table holds only live cookies' ids.
    """
    now = int(time.time())
    SsoRevocation.objects.filter(expires_at__lt=now).delete()
    if revocation.expires_at >= now:
        SsoRevocation.objects.bulk_create(
            [
                SsoRevocation(
                    jti=revocation.jti,
                    user_id=revocation.user_id,
                    expires_at=revocation.expires_at,
                )
            ],
            ignore_conflicts=True,
        )


def sso_signed_out(*, jti: str) -> bool:
    """Whether the SSO cookie with this id signed out on some service."""
    return SsoRevocation.objects.filter(jti=jti).exists()


def sso_sign_in_stands(*, claims: SsoClaims) -> bool:
    """Whether a valid SSO cookie with these claims still signs its browser in: it was not
    signed out anywhere, and its account is active and has at least the staff rights the
    cookie claims (an account deactivated or demoted since loses every sign-in at once).
    A cookie of an account that has more rights now stands: the services follow its claims,
    and its next sign-in brings the new ones."""
    if sso_signed_out(jti=claims.jti):
        return False
    account = (
        User.objects.filter(pk=claims.user_id, is_active=True)
        .values_list("is_staff", "is_superuser")
        .first()
    )
    if account is None:
        return False
    is_staff, is_superuser = account
    return (is_staff or not claims.is_staff) and (is_superuser or not claims.is_superuser)
