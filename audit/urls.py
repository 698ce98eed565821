from __future__ import annotations

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("events/<int:sequence>/", views.event_detail, name="event"),
    path("verify/", views.verify, name="verify"),
    path("export.jsonl", views.export, {"fmt": "jsonl"}, name="export_jsonl"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("checkpoints/", views.checkpoints, name="checkpoints"),
    path("heads.jsonl", views.heads, name="heads"),
    path("look/", views.needs_a_look, name="needs_a_look"),
]
