from django.urls import path

from accounts import key_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.verify_view, name="verify"),
    path("login/enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/authenticator/", views.replace_totp_view, name="replace_totp"),
    path("security/keys/new/", key_views.key_enrol_view, name="key_enrol"),
    path("security/keys/needed/", key_views.key_needed_view, name="key_needed"),
    path("security/keys/<int:key_id>/remove/", key_views.key_remove_view, name="key_remove"),
    path("keys/register/begin/", key_views.key_register_begin, name="key_register_begin"),
    path("keys/register/complete/", key_views.key_register_complete, name="key_register_complete"),
    path("keys/assert/begin/", key_views.key_assert_begin, name="key_assert_begin"),
    path("keys/assert/complete/", key_views.key_assert_complete, name="key_assert_complete"),
    path("team/", views.team_view, name="team"),
    path("account-changes/", views.account_changes_view, name="account_changes"),
    path("enrol/<str:token>/", views.enrol_link_view, name="enrol_link"),
]
