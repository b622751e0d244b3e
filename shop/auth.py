"""The request's user on every service: a principal built from verified JWT claims, no database."""

from rest_framework_simplejwt.models import TokenUser


class Principal(TokenUser):
    """Who is calling, as the users service vouched for it in a signed access token.

    `id`, `username` and `is_staff` come from the claims; nothing is looked up, so a service
    authenticates requests even while the users service is down. `id` is the users service's
    account id (a string in the claims; `int(principal.id)` where a number is needed).
    """
