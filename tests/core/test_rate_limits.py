from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import TokenBucket
from evacuation.models import Case
from tests.factories import intake_data, vault_ready

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_WINDOW_SECONDS = 3600
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 2
    settings.RATE_LIMIT_INTAKE_GLOBAL = 100
    settings.RATE_LIMIT_CODE_PER_SOURCE = 3
    settings.RATE_LIMIT_CODE_GLOBAL = 100
    vault_ready()
    return settings


def test_it_refuses_a_third_request_from_one_source_with_a_plain_429(limits):
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert client.post("/request/", intake_data()).status_code == 200
    assert client.post("/request/", intake_data()).status_code == 200
    response = client.post("/request/", intake_data())
    assert response.status_code == 429
    page = response.content.decode()
    assert "Please try again later" in page
    assert 'class="quick-exit"' in page  # still an applicant page
    assert response["Referrer-Policy"] == "no-referrer"
    assert Case.objects.count() == 2


def test_invalid_submissions_count_too(limits):
    client = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(2):
        client.post("/request/", intake_data(name=""))
    assert client.post("/request/", intake_data()).status_code == 429


def test_reading_the_form_is_never_limited(limits):
    client = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(5):
        assert client.get("/request/").status_code == 200


def test_another_source_still_gets_through(limits):
    first = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(3):
        first.post("/request/", intake_data())
    assert Client(REMOTE_ADDR="198.51.100.2").post("/request/", intake_data()).status_code == 200


def test_behind_a_proxy_the_named_header_is_the_source(limits):
    limits.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    noisy = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(2):
        assert noisy.post("/request/", intake_data()).status_code == 200
    assert noisy.post("/request/", intake_data()).status_code == 429
    # The same proxy, another applicant: not refused for the first one's requests.
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.post("/request/", intake_data()).status_code == 200
    # A client cannot dodge its limit by writing its own entry in front of the proxy's.
    spoofing = Client(**proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")
    assert spoofing.post("/request/", intake_data()).status_code == 429


def test_without_the_setting_a_forwarded_header_is_ignored(limits):
    for spoofed in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        response = Client(REMOTE_ADDR="198.51.100.5", HTTP_X_FORWARDED_FOR=spoofed).post(
            "/request/", intake_data()
        )
    assert response.status_code == 429


def test_the_global_limit_holds_whatever_the_source(limits):
    limits.RATE_LIMIT_INTAKE_GLOBAL = 3
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/request/", intake_data()).status_code
        for n in range(1, 6)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_receipt_code_guesses_are_limited_per_source(limits):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for n in range(3):
        assert client.post("/status/", {"code": f"1111-2222-3333-4444-000{n}"}).status_code == 200
    assert client.post("/status/", {"code": "1111-2222-3333-4444-0009"}).status_code == 429


def test_the_bucket_refills_with_time(limits):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(3):
        client.post("/status/", {"code": "1"})
    assert client.post("/status/", {"code": "1"}).status_code == 429
    later = timezone.now() + timedelta(minutes=30)
    with mock.patch("core.models.timezone.now", return_value=later):
        assert client.post("/status/", {"code": "1"}).status_code == 200


def test_buckets_hold_no_address_and_are_forgotten_after_an_hour(limits):
    Client(REMOTE_ADDR="198.51.100.77").post("/status/", {"code": "1"})
    keys = list(TokenBucket.objects.values_list("key", flat=True))
    assert keys and not any("198.51.100.77" in key for key in keys)
    later = timezone.now() + timedelta(hours=1, minutes=1)
    with mock.patch("core.models.timezone.now", return_value=later):
        TokenBucket.authorize("unrelated", 10, 60)
    assert set(TokenBucket.objects.values_list("key", flat=True)) == {"unrelated"}


def test_the_switch_turns_limits_off(limits):
    limits.RATE_LIMITS_ENABLED = False
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(6):
        assert client.post("/status/", {"code": "1"}).status_code == 200


WORKER = """
import os, sys, time
import django
django.setup()
from core.models import TokenBucket
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
key = sys.argv[2]
print(sum(TokenBucket.authorize(key, 25, 3600) for _ in range(40)))
"""


@pytest.mark.postgres_only
def test_two_worker_processes_share_one_bucket():
    # The workers commit their own rows; a fresh key keeps them apart from every other test
    # (and they expire within the hour like any bucket).
    key = f"shared:{uuid.uuid4().hex}"
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SAFE_PASSAGE_ENV": "development",
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
            f"/{settings_dict['NAME']}"
        ),
    }
    start = str(time.time() + 2.0)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, start, key],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err[-2000:]
        allowed.append(int(out.strip()))
    # 80 attempts against 25 tokens: exactly 25 pass in total, however the two interleave.
    assert sum(allowed) == 25
    assert TokenBucket.objects.filter(key=key).count() == 1
