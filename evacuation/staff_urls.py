from __future__ import annotations

from django.urls import path

from evacuation import staff_views

app_name = "evacuation_staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<str:reference>/", staff_views.case_detail, name="case"),
]
