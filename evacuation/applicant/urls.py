from __future__ import annotations

from django.urls import path

from evacuation.applicant import views

app_name = "evacuation"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.request_form, name="request"),
    path("status/", views.status, name="status"),
]
