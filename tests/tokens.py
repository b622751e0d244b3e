"""Access tokens for tests, minted with the dev private key exactly as the users service mints them.

A contract test in tests/users proves these claims match what `/api/auth/token/` issues, so the
other services' suites test against the real token shape without running the users service.
"""

import time
import uuid
from typing import Any

import jwt
from django.conf import settings

from shop.jwt_keys import PRIVATE_KEY_FILENAME


def private_key_pem() -> str:
    return (settings.JWT_KEYS_DIR / PRIVATE_KEY_FILENAME).read_text()


def access_claims(*, user_id: int, username: str, is_staff: bool = False) -> dict[str, Any]:
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
        "username": username,
        "is_staff": is_staff,
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "iss": settings.SIMPLE_JWT["ISSUER"],
    }


def encode(claims: dict[str, Any], *, key: str | None = None, algorithm: str = "RS256") -> str:
    return jwt.encode(claims, key if key is not None else private_key_pem(), algorithm=algorithm)


def access_token(*, user_id: int, username: str, is_staff: bool = False, **overrides: Any) -> str:
    claims = access_claims(user_id=user_id, username=username, is_staff=is_staff)
    claims.update(overrides)
    return encode(claims)
