"""The users service's domain errors; `shop.api.errors` maps them to HTTP."""

from shop.errors import RateLimited


class SignInLocked(RateLimited):
    """Too many failed sign-ins for this account or from this address: refused, whatever the
    password, until `retry_after_seconds` have passed. The same answer whether the account
    exists or not."""

    code = "sign_in_locked"
    default_message = "Too many failed sign-in attempts; try again later."
