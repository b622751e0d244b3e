"""Reading accounts and the public keys that verify tokens."""

from functools import cache

from django.conf import settings
from django.db.models import QuerySet

from shop.auth.keys import public_jwk
from shop.errors import NotFound
from users.models import User


def user_list() -> QuerySet[User]:
    return User.objects.order_by("username")


def user_get_for_principal(*, username: str, principal: User) -> User:
    """A user by name, for staff or for that user; anyone else gets 404, as if it did not exist."""
    if not principal.is_staff and principal.username.lower() != username.lower():
        raise NotFound()
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise NotFound()
    return user


@cache
def jwks() -> dict[str, list[dict[str, str]]]:
    """The JSON Web Key Set (RFC 7517) of every key that may verify a live token: the one this
    service signs with and, during a rotation, the next or previous one, each named by its
    RFC 7638 thumbprint as `kid` (the tokens' header names the same)."""
    algorithm = settings.SIMPLE_JWT["ALGORITHM"]
    return {"keys": [public_jwk(pem, algorithm=algorithm) for pem in settings.JWT_PUBLIC_KEYS]}
