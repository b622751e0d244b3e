"""Settings of the users service: the shared base plus accounts, tokens and the private key."""

from pathlib import Path

from shop.jwt_keys import PRIVATE_KEY_FILENAME, read_key
from shop.settings import *
from shop.settings import (
    JWT_KEYS_DIR,
    REST_FRAMEWORK,
    SHARED_APPS,
    SIMPLE_JWT,
    env,
    service_settings,
)

INSTALLED_APPS = [
    *SHARED_APPS,
    "rest_framework_simplejwt.token_blacklist",
    "phonenumber_field",
    "users",
]
globals().update(service_settings("users"))

AUTH_USER_MODEL = "users.User"

# Only this service holds the private key: it is the one that issues tokens.
JWT_PRIVATE_KEY_FILE = Path(
    env.str("JWT_PRIVATE_KEY_FILE", default=str(JWT_KEYS_DIR / PRIVATE_KEY_FILENAME))
)
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "SIGNING_KEY": read_key(JWT_PRIVATE_KEY_FILE, variable="JWT_PRIVATE_KEY_FILE"),
    "UPDATE_LAST_LOGIN": True,
}

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Here, unlike the other services, the account is at hand: loading it refuses a
        # deactivated or deleted user at once instead of when their token expires.
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("USERS_LOGIN_RATE", default="20/minute"),
        "register": env.str("USERS_REGISTER_RATE", default="30/minute"),
    },
}

PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DEFAULT_REGION = None
