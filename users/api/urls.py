from django.urls import path

from users.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/jwks/", views.JwksView.as_view(), name="jwks"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/me/", views.MeView.as_view(), name="user-me"),
    path("users/<str:username>/", views.UserDetailView.as_view(), name="user-detail"),
]
