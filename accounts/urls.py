from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/authenticator/", views.replace_totp_view, name="replace_totp"),
    path("team/", views.team_view, name="team"),
    path("account-changes/", views.account_changes_view, name="account_changes"),
    path("enrol/<str:token>/", views.enrol_link_view, name="enrol_link"),
]
