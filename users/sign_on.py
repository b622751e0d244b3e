"""Single sign-on, the users service's side: the browser's login pages (the admin's and the
browsable API's: Django's own, plus the SSO cookie that signs the browser in to every other
service as well, see shop.auth.sso) and the check the gateway asks of every cookie. Named apart
from users/api/views.py, the JSON API."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shop.auth.sso import SESSION_KEY, sso_claims, sso_cookie_set
from users import services
from users.lockout import lockout_retry_after_seconds
from users.models import User


class SsoLoginView(auth_views.LoginView):
    """The browsable API's login. `next` may be any service's page: they share one origin
    behind the gateway, so it is a relative path, which Django's check accepts."""

    template_name = "rest_framework/login.html"

    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if request.method == "GET" and self.may_go_on(request):
            # Signed in here already, yet another service sent the browser here: its SSO
            # cookie ran out (it lives shorter than a session) or predates this session. A
            # fresh one, and on to `next`, rather than a login form for someone signed in.
            redirect_to = self.get_success_url()
            if redirect_to != request.path:
                return self.signed_in(HttpResponseRedirect(redirect_to), user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def may_go_on(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and request.user.is_active

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        return self.signed_in(response, user=form.get_user())

    def form_invalid(self, form) -> HttpResponse:
        retry_after = lockout_retry_after_seconds(self.request)
        if retry_after is None:
            return super().form_invalid(form)
        # Locked (users.lockout): answered as the token endpoint answers it, the contract's
        # JSON with 429 and Retry-After, like every other error answer of the shop; the same
        # whether the account exists or not.
        return JsonResponse(
            {"detail": f"Too many failed sign-in attempts; try again in {retry_after} seconds."},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def signed_in(self, response: HttpResponse, *, user: User) -> HttpResponse:
        # The session ends with the cookie, as on every other service (see shop.auth.sso).
        self.request.session[SESSION_KEY] = True
        sso_cookie_set(
            response,
            token=services.sso_token_issue(user=user),
            max_age_seconds=settings.USERS_SSO_LIFETIME_SECONDS,
        )
        return response


class AdminSsoLoginView(SsoLoginView):
    """The admin's login, with the form, template and context that `AdminSite.login` gives it
    (staff only), handing out the SSO cookie too."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def may_go_on(self, request: HttpRequest) -> bool:
        # Someone signed in but not staff sees the form, with the admin's note that they may
        # not use it: sending them on would only bring them back here.
        return admin.site.has_permission(request)

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index", current_app=admin.site.name)

    def get_context_data(self, **kwargs):
        context = {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
        }
        if not context[REDIRECT_FIELD_NAME]:
            context[REDIRECT_FIELD_NAME] = self.get_default_redirect_url()
        return context


# Asked by the gateway only (its `auth_request`, deploy/nginx/shop.conf.template), which routes
# no client to it; it tells nothing but whether the cookie handed to it still stands.
SSO_CHECK_PATH = "internal/sso-check"
SSO_CHECK_TOKEN_HEADER = "X-Shop-Sso-Token"  # noqa: S105 (a header name)
SSO_CHECK_ANSWER_HEADER = "X-Shop-Sso"


@never_cache
@require_GET
def sso_check(request: HttpRequest) -> HttpResponse:
    """Whether the SSO cookie the gateway hands over (in X-Shop-Sso-Token) still signs a
    browser in: 204 with `X-Shop-Sso: ok` if so, `ended` if not (forged, expired, signed out,
    the account deactivated or demoted). The gateway passes the cookie on only after an `ok`."""
    claims = sso_claims(request.headers.get(SSO_CHECK_TOKEN_HEADER, ""))
    stands = claims is not None and services.sso_sign_in_stands(claims=claims)
    response = HttpResponse(status=204)
    response[SSO_CHECK_ANSWER_HEADER] = "ok" if stands else "ended"
    return response
