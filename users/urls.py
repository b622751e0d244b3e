"""URLs of the users service: its API plus what every service serves (see shop.urls)."""

from django.urls import include, path

from shop.urls import service_urlpatterns
from users.sign_on import SSO_CHECK_PATH, AdminSsoLoginView, SsoLoginView, sso_check

urlpatterns = service_urlpatterns(
    "users",
    [
        path("api/", include("users.api.urls")),
        # The gateway's question about each request with an SSO cookie; never routed to clients.
        path(SSO_CHECK_PATH, sso_check, name="sso-check"),
    ],
    # The one place a browser signs in with a password (see shop.auth.sso).
    admin_login_view=AdminSsoLoginView.as_view(),
    browser_login_view=SsoLoginView.as_view(),
)

handler404 = "shop.api.errors.not_found"
handler500 = "shop.api.errors.server_error"
