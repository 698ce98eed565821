from __future__ import annotations

from django.urls import path

from bench.bareapp import views

app_name = "bench_bareapp"

urlpatterns = [path("bare/", views.bare_insert, name="bare")]
