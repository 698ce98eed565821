"""The HTTPS redirect and HSTS apply to the public host, never to the onion host
(core.middleware.HttpsMiddleware in place of Django's SECURE_SSL_REDIRECT)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
ONION = "sp2dnfgjdqmtvmkxqmzwwe7dlkfd2rrfamh5s3nuywk6tzklg3bt4oid.onion"


@pytest.fixture
def production_https(settings):
    """What production sets: our redirect on, Django's off, HSTS, the proxy's header."""
    settings.HTTPS_REDIRECT = True
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["cases.example.org", ONION]
    return settings


@pytest.mark.django_db
def test_the_public_host_is_redirected_to_https_and_gets_hsts(production_https):
    client = Client()
    plain = client.get("/en/?x=1", headers={"host": "cases.example.org"})
    assert plain.status_code == 301
    assert plain["Location"] == "https://cases.example.org/en/?x=1"
    secure = client.get("/en/", headers={"host": "cases.example.org", "x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=63072000")


@pytest.mark.django_db
def test_the_onion_host_is_served_over_http_without_redirect_or_hsts(production_https):
    client = Client()
    for proto in ("http", "https"):  # even a misconfigured proxy's header gets no HSTS
        response = client.get("/en/", headers={"host": ONION, "x-forwarded-proto": proto})
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_health_probes_are_not_redirected(production_https):
    response = Client().get("/healthz", headers={"host": "cases.example.org"})
    assert response.status_code == 200 and response.content == b"ok\n"


def test_production_settings_put_the_redirect_in_our_middleware():
    script = (
        "from django.conf import settings; "
        "print(settings.HTTPS_REDIRECT, settings.SECURE_SSL_REDIRECT, "
        "settings.MIDDLEWARE[0], 'security.W008' in settings.SILENCED_SYSTEM_CHECKS)"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "SAFE_PASSAGE_ENV": "production",
            "SECRET_KEY": "x" * 64 + "for-this-check-only",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["True", "False", "core.middleware.HttpsMiddleware", "True"], (
        done.stderr
    )
