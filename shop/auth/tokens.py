"""The request's user on every service: a principal built from verified JWT claims, no database;
and the tokens themselves, signed and verified with the configured keys by `kid`."""

import time
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import jwt
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings

from shop.auth.keys import key_id_of_pem, public_jwk

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser


class Principal(TokenUser):
    """Who is calling, as the users service vouched for it in a signed access token (or in the
    SSO cookie that signed a browser in: `Principal.of` its session's user).

    `id`, `username` and `is_staff` come from the claims; nothing is looked up, so a service
    authenticates requests even while the users service is down. `id` is the users service's
    account id as the claims carry it (a string); `user_id` is the same id as a number.
    """

    @classmethod
    def of(cls, user: "Principal | AbstractUser") -> "Principal":
        """The principal `user` stands for: itself when a token authenticated the request; a
        browser session's user as the principal its account's token would carry (its id is
        the account's id, shop/auth/sso.py), so that services take one kind of caller."""
        if isinstance(user, Principal):
            return user
        # TokenUser only reads its token as a mapping (simplejwt annotates it as a Token).
        return cls(
            {  # type: ignore[arg-type]
                api_settings.USER_ID_CLAIM: str(user.pk),
                "username": user.get_username(),
                "is_staff": user.is_staff,
            }
        )

    @property
    def user_id(self) -> int:
        """The users service's account id, as the number every service stores (an order's
        `user_id`, say).

        Not validated here: the token's signature is already verified, and its claim is the
        users service's own primary key. A claim that is no integer raises `ValueError` (a
        server error, not a 401), since it would mean the users service signed a malformed
        token, not that the caller sent one.
        """
        return int(self.id)


class KeyedTokenBackend(TokenBackend):
    """simplejwt's backend with a key set instead of one verifying key: a token is verified with
    the public key its header's `kid` names, among `public_keys` only; a token that names none,
    or a key not configured (retired, or never ours), is invalid. It signs with `signing_key`
    and names it in the header, so that verifiers know which key to use while two are live.

    Only `algorithm` is accepted (RS256): the header's `alg` chooses nothing.
    """

    def __init__(
        self, *, public_keys: Sequence[str], signing_key: str | None = None, **options: Any
    ) -> None:
        super().__init__(signing_key=signing_key, **options)
        self.key_set = jwt.PyJWKSet(
            [public_jwk(pem, algorithm=self.algorithm) for pem in public_keys]
        )
        self.signing_key_id = key_id_of_pem(signing_key) if signing_key else None
        # Per backend (one per process), bounded; only what verified is kept.
        self._verified_claims = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify_claims)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        """The token's claims, verified as simplejwt verifies them; a token verified before in
        this process is not verified again, only checked for expiry.

        A client sends the same access token with every request for its five minutes, and the
        signature check was most of what authenticating a request cost (about 0.1 ms of RSA per
        request, the largest share of a cached catalog read). The signature, audience and
        issuer of a given token cannot change, and the keys that verify are fixed for the
        process's life; expiry is checked again here on every use, as PyJWT checks it.
        """
        if not verify:
            return super().decode(token, verify=False)
        raw = token.decode() if isinstance(token, bytes) else str(token)
        claims = self._verified_claims(raw)
        expires = claims.get("exp")
        if (
            isinstance(expires, int | float)
            and expires <= time.time() - self.get_leeway().total_seconds()
        ):
            raise TokenBackendExpiredToken(_("Token is expired"))
        return dict(claims)  # a copy: a Token may change its own payload

    def _verify_claims(self, raw: str) -> Mapping[str, Any]:
        # simplejwt annotates the encoded token as its Token class; what it decodes is the text.
        return super().decode(raw, verify=True)  # type: ignore[arg-type]

    def get_verifying_key(self, token: tokens.Token) -> Any:
        # Unverified, as every kid is: it only chooses among keys we trust. simplejwt annotates
        # `token` as a Token, where it passes the encoded one (what PyJWT takes).
        key_id = jwt.get_unverified_header(token).get("kid")  # type: ignore[arg-type]
        if not isinstance(key_id, str):
            raise TokenBackendError("Token is invalid")
        try:
            return self.key_set[key_id].key
        except KeyError as error:
            raise TokenBackendError("Token is invalid") from error

    def encode(self, payload: dict[str, Any]) -> str:
        if self.signing_key_id is None:
            raise TokenBackendError("Only the users service signs tokens.")
        claims = payload.copy()
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return jwt.encode(
            claims,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": self.signing_key_id},
            json_encoder=self.json_encoder,
        )


# Tokens whose verification each process remembers: well over the access tokens alive at once
# in one process (each lives 5 minutes), at about a kilobyte each.
VERIFIED_TOKENS_KEPT = 4096


@cache
def token_backend() -> KeyedTokenBackend:
    """The backend of every token of the shop, from the settings: JWT_PUBLIC_KEYS verify (every
    service), SIMPLE_JWT's SIGNING_KEY signs (the users service only)."""
    return KeyedTokenBackend(
        public_keys=settings.JWT_PUBLIC_KEYS,
        signing_key=api_settings.SIGNING_KEY,
        algorithm=api_settings.ALGORITHM,
        audience=api_settings.AUDIENCE,
        issuer=api_settings.ISSUER,
        leeway=api_settings.LEEWAY,
        json_encoder=api_settings.JSON_ENCODER,
    )


class KeyedToken(tokens.Token):
    """A simplejwt token signed and verified by `token_backend()` (the hook simplejwt offers:
    its own backend knows one verifying key only)."""

    @property
    def token_backend(self) -> TokenBackend:
        return token_backend()


class AccessToken(KeyedToken, tokens.AccessToken):
    """The Bearer token of every API (SIMPLE_JWT's AUTH_TOKEN_CLASSES)."""


# simplejwt's own RefreshToken has the same bases, whose annotations of for_user disagree.
class RefreshToken(KeyedToken, tokens.RefreshToken):  # type: ignore[misc]
    """The users service's refresh token: verified by `kid` too, so that one signed with the
    previous key still refreshes until that key is retired."""

    access_token_class = AccessToken
