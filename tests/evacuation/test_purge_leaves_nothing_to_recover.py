"""After a purge, a thief holding an older copy of the case's ciphertexts, every staff member's
password and the printed recovery secret still opens nothing: the keys are gone too."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from evacuation.models import Case, Message
from evacuation.services import correspondence
from evacuation.services.intake import PAYLOAD_PURPOSE
from tests.factories import (
    DEFAULT_PASSWORD,
    applicant_cipher,
    photo_with_gps,
    submit_intake,
    withdrawn_case,
)
from vault import cases as vault_cases
from vault import crypto
from vault.errors import VaultError
from vault.models import ApplicantKey, CaseKey, OrgKeyGrant
from vault.org import org_keys_from_recovery
from vault.staff import grant_info, personal_key_open

pytestmark = pytest.mark.django_db

MARKER = "Marker-purged-for-good"


@pytest.fixture
def ended_case(team):
    """A withdrawn case past retention, with an applicant message and a photo."""
    case, code = withdrawn_case(days_ago=0, situation=MARKER)
    cipher = applicant_cipher(code)
    message = correspondence.message_from_applicant(case=case, cipher=cipher, text=MARKER)
    attachment = correspondence.attachment_add(
        case=case, cipher=cipher, actor="applicant", data=photo_with_gps()
    )
    long_ago = timezone.now() - timedelta(days=200)
    Message.objects.update(created_at=long_ago)
    Case.objects.filter(pk=case.pk).update(state_changed_at=long_ago)
    case.refresh_from_db()
    # What an earlier backup of the database holds: every ciphertext of the case.
    stolen = {
        "text": [(PAYLOAD_PURPOSE, bytes(case.payload)), (message.purpose, bytes(message.body))],
        "files": [(attachment.purpose, bytes(attachment.wrapped_key), bytes(attachment.blob))],
    }
    return {"case": case, "code": code, "stolen": stolen}


def _every_org_key(team) -> list:
    """The organisation private keys the recovery secret and every staff password reach."""
    raw = list(org_keys_from_recovery(team.recovery).values())
    for user in team.everyone:
        personal = personal_key_open(user=user, password=DEFAULT_PASSWORD)
        for grant in OrgKeyGrant.objects.filter(user=user):
            raw.append(
                crypto.unseal(
                    personal.private,
                    bytes(grant.sealed),
                    info=grant_info(grant.org_key_id, user.pk),
                )
            )
    assert len(raw) >= 3
    return [crypto.keypair_from_private_bytes(key).private for key in raw]


def _every_cipher(team, case_uid: str, code: str) -> list[vault_cases.CaseCipher]:
    """A cipher for the case from every data key still stored that any key above opens (under
    either case's binding), and from the applicant's code."""
    ciphers = []
    for private in _every_org_key(team):
        for row in CaseKey.objects.all():
            for info_uid in {row.case_uid, case_uid}:
                try:
                    dek = crypto.unseal(
                        private, bytes(row.sealed), info=vault_cases.case_dek_info(info_uid)
                    )
                except VaultError:
                    continue
                ciphers.append(vault_cases.CaseCipher(case_uid, dek))
    with contextlib.suppress(VaultError):
        ciphers.append(applicant_cipher(code))
    return ciphers


def _opened(stolen: dict, ciphers: list[vault_cases.CaseCipher]) -> list[bytes]:
    found = []
    for cipher in ciphers:
        for purpose, blob in stolen["text"]:
            with contextlib.suppress(VaultError):
                found.append(cipher.decrypt(purpose, blob))
        for purpose, wrapped_key, body in stolen["files"]:
            with contextlib.suppress(VaultError):
                found.append(cipher.open_file(purpose, wrapped_key, body))
    return found


def test_before_the_purge_these_keys_do_open_the_stolen_ciphertexts(team, ended_case):
    uid = str(ended_case["case"].uid)
    opened = _opened(ended_case["stolen"], _every_cipher(team, uid, ended_case["code"]))
    assert any(MARKER.encode() in plain for plain in opened)
    assert any(plain.startswith(b"\xff\xd8") for plain in opened)  # the photo


def test_after_the_purge_every_key_left_opens_none_of_them(team, ended_case):
    other_reference, _other_code = submit_intake()  # a live case: its key must not help
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "1 case(s) purged." in out.getvalue()

    uid = str(ended_case["case"].uid)
    assert not CaseKey.objects.filter(case_uid=uid).exists()
    assert not ApplicantKey.objects.filter(case_uid=uid).exists()
    assert CaseKey.objects.count() == 1  # the other case's
    ciphers = _every_cipher(team, uid, ended_case["code"])
    assert ciphers, "the live case's key still opens, so the search itself works"
    assert _opened(ended_case["stolen"], ciphers) == []
    assert not Case.objects.get(reference=other_reference).is_purged
