from __future__ import annotations

from django.urls import path

from evacuation import applicant_views

app_name = "evacuation"

urlpatterns = [
    path("", applicant_views.home, name="home"),
    path("request/", applicant_views.request_form, name="request"),
    path("status/", applicant_views.status, name="status"),
]
