from django.contrib.auth import views as auth_views
from django.urls import path

from registrum.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("password/", views.change_password, name="password_change"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("reset/", views.reset_request, name="reset_request"),
    path("reset/code/", views.reset_code, name="reset_code"),
    path("second-factor/", views.otp_enrol, name="otp_enrol"),
    path("second-factor/verify/", views.otp_verify, name="otp_verify"),
    path("tokens/", views.tokens, name="tokens"),
]
