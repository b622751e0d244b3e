"""The URLs every service serves besides its API, at the paths the gateway routes unchanged."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shop.auth.sso import AdminSsoLogoutView, SsoLogoutView, UsersLoginRedirectView
from shop.observability.health import healthz, readyz

View = Callable[..., HttpResponseBase]


def service_urlpatterns(
    service: str,
    api_patterns: list[URLPattern | URLResolver],
    *,
    admin_login_view: View | None = None,
    browser_login_view: View | None = None,
) -> list[URLPattern | URLResolver]:
    """Admin at `admin/<service>/`, schema and docs at `api/schema|docs/<service>/`, the
    browsable API's login at `api/browser/<service>/`, probes and metrics, then the service's API.

    Browser sign-in is the users service's alone (see shop.auth.sso): it passes its own login views,
    which check the password and set the SSO cookie; every other service's login pages send the
    browser there. Logging out anywhere ends the SSO cookie.
    """
    schema_name = f"schema-{service}"
    # One admin site per process, named for the service it administers.
    admin.site.site_header = f"The shop · {service} admin"
    admin.site.site_title = f"The shop · {service}"
    admin.site.index_title = f"{service.capitalize()} administration"
    if admin_login_view is None:
        admin_login_view = UsersLoginRedirectView.as_view(
            login_url=settings.SHOP_SSO_ADMIN_LOGIN_URL, default_next_url_name="admin:index"
        )
    if browser_login_view is None:
        browser_login_view = UsersLoginRedirectView.as_view(login_url=settings.LOGIN_URL)
    browser_auth_patterns = [
        path("login/", browser_login_view, name="login"),
        path("logout/", SsoLogoutView.as_view(), name="logout"),
    ]
    return [
        # Before the admin's own URLs, which have these same paths: the first match answers, so
        # the admin's login and logout are never reached, and reverse("admin:login") still
        # gives this path.
        path(f"admin/{service}/login/", admin_login_view),
        path(f"admin/{service}/logout/", AdminSsoLogoutView.as_view()),
        path(f"admin/{service}/", admin.site.urls),
        path(f"api/schema/{service}/", SpectacularAPIView.as_view(), name=schema_name),
        path(
            f"api/docs/{service}/",
            SpectacularSwaggerView.as_view(url_name=schema_name),
            name=f"docs-{service}",
        ),
        # The namespace DRF's templates look the browsable API's login and logout up in.
        path(f"api/browser/{service}/", include((browser_auth_patterns, "rest_framework"))),
        path("healthz", healthz, name="healthz"),
        path("readyz", readyz, name="readyz"),
        path("", include("django_prometheus.urls")),
        *api_patterns,
        # Only with DEBUG on: the development server and `make run` serve static files
        # themselves; in production the gateway serves the collected files.
        *staticfiles_urlpatterns(),
    ]
