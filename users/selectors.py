"""Reading accounts and the public half of the token-signing key."""

import base64
import hashlib
import json
from functools import cache

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.db.models import QuerySet
from jwt.algorithms import RSAAlgorithm

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
def jwks() -> dict:
    """The JSON Web Key Set that verifies our access tokens (RFC 7517), with an RFC 7638 `kid`."""
    public_key = load_pem_public_key(settings.SIMPLE_JWT["VERIFYING_KEY"].encode())
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    jwk.update(
        kid=thumbprint.rstrip(b"=").decode(), use="sig", alg=settings.SIMPLE_JWT["ALGORITHM"]
    )
    return {"keys": [jwk]}
