"""The URLs every service serves besides its API, at the paths the gateway routes unchanged."""

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from shop.health import healthz, readyz


def service_urlpatterns(
    service: str, api_patterns: list[URLPattern | URLResolver]
) -> list[URLPattern | URLResolver]:
    """Admin at `admin/<service>/`, schema and docs at `api/schema|docs/<service>/`, the
    browsable API's login at `api/auth/<service>/`, probes and metrics, then the service's API."""
    schema_name = f"schema-{service}"
    return [
        path(f"admin/{service}/", admin.site.urls),
        path(f"api/schema/{service}/", SpectacularAPIView.as_view(), name=schema_name),
        path(
            f"api/docs/{service}/",
            SpectacularSwaggerView.as_view(url_name=schema_name),
            name=f"docs-{service}",
        ),
        path(f"api/browser/{service}/", include("rest_framework.urls")),
        path("healthz", healthz, name="healthz"),
        path("readyz", readyz, name="readyz"),
        path("", include("django_prometheus.urls")),
        *api_patterns,
        # Only with DEBUG on: the development server and `make run` serve static files
        # themselves; in production the gateway serves the collected files.
        *staticfiles_urlpatterns(),
    ]
