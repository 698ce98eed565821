"""Who counts as one source, and what the buckets table keeps of it (core.ratelimit)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.models import TokenBucket
from core.ratelimit import case_spend, client_address, code_attempt, intake_spend, source_key
from tests.core.simulated import T0, request_from

pytestmark = pytest.mark.django_db

# A scope and 4 hex digits (16 bits of a keyed hash), or the scope's budget for everyone.
BUCKET_KEY = re.compile(r"(intake|code|trickle|case):[0-9a-f]{4}|(intake|lookup):all")


def key_of(address: str, **headers: str) -> str:
    return source_key(request_from(address, **headers), "code")


def drain_intake(request) -> None:
    while intake_spend(request, now=T0) is None:
        pass


def test_ipv4_addresses_are_each_a_source(limits):
    assert key_of("198.51.100.1") == key_of("198.51.100.1")
    assert key_of("198.51.100.1") != key_of("198.51.100.2")
    assert key_of("::ffff:198.51.100.1") == key_of("198.51.100.1")  # a dual-stack socket


def test_ipv6_addresses_count_by_their_64(limits):
    assert key_of("2001:db8:1:2::1") == key_of("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert key_of("2001:db8:1:2::1") != key_of("2001:db8:1:3::1")
    drain_intake(request_from("2001:db8:1:2::1"))
    assert intake_spend(request_from("2001:db8:1:2:aaaa::5"), now=T0) is not None
    assert intake_spend(request_from("2001:db8:1:3::1"), now=T0) is None


def test_each_tor_circuit_is_its_own_source(limits):
    # HiddenServiceExportCircuitID haproxy: fc00:dead:beef:4dad::/64, the circuit id below.
    first, second = "fc00:dead:beef:4dad::1:1", "fc00:dead:beef:4dad::1:2"
    assert key_of(first) != key_of(second)
    drain_intake(request_from(first))
    assert intake_spend(request_from(first), now=T0) is not None
    assert intake_spend(request_from(second), now=T0) is None
    # Only that /64 is split: its neighbour counts by /64 like any other.
    assert key_of("fc00:dead:beef:4dae::1") == key_of("fc00:dead:beef:4dae::2")


def test_the_scope_is_part_of_the_hash(limits):
    request = request_from("198.51.100.1")
    assert source_key(request, "intake")[-4:] != source_key(request, "code")[-4:]


def test_keys_are_16_bits_and_the_table_holds_nothing_address_like(limits):
    addresses = [
        "198.51.100.77",
        "2001:db8:77:77::77",
        "fc00:dead:beef:4dad::77:77",
        *(f"203.0.113.{n}" for n in range(50)),
    ]
    for address in addresses:
        request = request_from(address)
        intake_spend(request, now=T0)
        code_attempt(request, locator="1234567", now=T0)
    case_spend("0f8e4a52-1c0b-4a8e-9d3c-2b7f6e5d4c3a", now=T0)
    rows = TokenBucket.objects.values_list("key", "tokens", "updated_at", "refill")
    assert {key.split(":")[0] for key, *_ in rows} == {"intake", "code", "lookup", "case"}
    for key, tokens, updated_at, refill in rows:
        assert BUCKET_KEY.fullmatch(key), key
        assert isinstance(tokens, float) and updated_at == T0 and isinstance(refill, timedelta)
    # 16 bits: a source's buckets spread over at most 65,536 keys a scope.
    assert len({key_of(f"10.0.{n // 256}.{n % 256}") for n in range(2000)}) < 2000


def test_behind_a_proxy_the_named_header_is_the_source(limits):
    limits.CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    proxy = "127.0.0.1"
    noisy = request_from(proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    drain_intake(noisy)
    assert intake_spend(noisy, now=T0) is not None
    # The same proxy, another applicant: not refused for the first one's requests.
    other = request_from(proxy, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert intake_spend(other, now=T0) is None
    # A client cannot dodge its limit by writing its own entry in front of the proxy's.
    spoofing = request_from(proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9")
    assert client_address(spoofing) == "203.0.113.9"
    assert intake_spend(spoofing, now=T0) is not None


def test_onion_visitors_behind_the_proxy_count_by_circuit(limits):
    limits.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    first = request_from("127.0.0.1", HTTP_X_REAL_IP="fc00:dead:beef:4dad::a:1")
    second = request_from("127.0.0.1", HTTP_X_REAL_IP="fc00:dead:beef:4dad::a:2")
    drain_intake(first)
    assert intake_spend(second, now=T0) is None


def test_without_the_setting_a_forwarded_header_is_ignored(limits):
    requests = [
        request_from("198.51.100.5", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(20)
    ]
    assert {client_address(request) for request in requests} == {"198.51.100.5"}
    assert [intake_spend(request, now=T0) is None for request in requests].count(True) == 10
