"""The users service's side of the single sign-on middleware (see shop.auth.sso)."""

from shop.auth.sso import SingleSignOnMiddleware, SsoClaims
from users import services
from users.models import User


class UsersSingleSignOnMiddleware(SingleSignOnMiddleware):
    """Here the account itself is at hand, not a copy: the SSO cookie signs the browser in as
    that account while it is active, and its session ends with the cookie (logged out on
    another service, or run out) as everywhere else."""

    def is_current(self, user: User, claims: SsoClaims) -> bool:
        # The account is the truth; its claims may lag behind it. A cookie signed out on some
        # service ends the session it opened here too, even when reaching this service directly.
        return not services.sso_signed_out(jti=claims.jti)

    def user_for(self, claims: SsoClaims) -> User | None:
        if services.sso_signed_out(jti=claims.jti):
            return None
        return User.objects.filter(pk=claims.user_id, is_active=True).first()
