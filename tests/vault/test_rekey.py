"""A rotation re-keys every case: someone who left, holding their password and a copy of the
database from before the rotation, opens nothing written after it; staff and the applicant (with
the same receipt code) read everything; a rotation killed at any point resumes, and no case is
ever unreadable in between."""

from __future__ import annotations

import contextlib
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command

from audit.models import AuditEvent
from evacuation.models import PAYLOAD_PURPOSE, Addition, Attachment, Case, Message, Note
from evacuation.services import casework, correspondence
from evacuation.services.rekey import HOOKS
from tests.factories import (
    DEFAULT_PASSWORD,
    Applicant,
    VaultBrowser,
    applicant_cipher,
    applicant_with,
    photo_with_gps,
    submit_intake,
    verified_client,
)
from vault import crypto
from vault import session as vault_session
from vault.cases import CaseCipher, CaseRekeyHooks, case_dek_info, file_blob_split
from vault.errors import VaultError
from vault.management.rotation import rotation_run
from vault.models import ApplicantKey, CaseKey, OrgKeyGrant, StaffKey
from vault.org import org_keys_from_recovery
from vault.staff import _wrap_ad, grant_info

pytestmark = pytest.mark.django_db


def _note(browser: VaultBrowser, case: Case, text: str) -> None:
    browser.run(
        lambda r: casework.note_add(
            case=Case.objects.get(pk=case.pk),
            actor=browser.user,
            keys=vault_session.staff_keys(r),
            text=text,
        )
    )


def _busy_case(team, n: int) -> tuple[Case, str, VaultBrowser]:
    """A case as the benchmark has it: an intake, three messages, a note and a file."""
    reference, code = submit_intake(situation=f"Marker-intake-{n}")
    case = Case.objects.get(reference=reference)
    cipher = applicant_cipher(code)
    correspondence.message_to_applicant(
        case=case, cipher=cipher, actor=team.carla, text=f"Marker-old-reply-{n}"
    )
    correspondence.message_from_applicant(case=case, cipher=cipher, text=f"Marker-old-answer-{n}")
    correspondence.addition_from_applicant(case=case, cipher=cipher, text=f"Marker-old-add-{n}")
    correspondence.attachment_add(
        case=case, cipher=cipher, actor="applicant", data=photo_with_gps(f"OldFile{n}")
    )
    browser = VaultBrowser(team.carla)
    assert browser.sign_in()
    browser.open_case(case)
    _note(browser, case, f"Marker-old-note-{n}")
    return case, code, browser


def _vault_copy() -> dict:
    """What an earlier backup holds of the key tables (the ciphertexts are judged live)."""
    return {
        "staff": {
            row["user_id"]: row
            for row in StaffKey.objects.values(
                "user_id",
                "wrapped_private",
                "salt",
                "argon2_memory_kib",
                "argon2_iterations",
                "argon2_lanes",
            )
        },
        "grants": list(OrgKeyGrant.objects.values("user_id", "org_key_id", "sealed")),
        "case_keys": list(CaseKey.objects.values()),
        "applicant_keys": list(ApplicantKey.objects.values()),
    }


def _leaver_ciphers(copy: dict, user, password: str) -> list[CaseCipher]:
    """Everything the leaver's password opens in the copy: personal key, grants, case keys."""
    row = copy["staff"][user.pk]
    params = crypto.Argon2Params(
        row["argon2_memory_kib"], row["argon2_iterations"], row["argon2_lanes"]
    )
    kek = crypto.argon2_key(password.encode(), salt=bytes(row["salt"]), params=params)
    personal = crypto.keypair_from_private_bytes(
        crypto.aead_decrypt(kek, bytes(row["wrapped_private"]), ad=_wrap_ad(user.pk))
    )
    org = {}
    for grant in copy["grants"]:
        if grant["user_id"] == user.pk:
            version = grant["org_key_id"]
            raw = crypto.unseal(
                personal.private, bytes(grant["sealed"]), info=grant_info(version, user.pk)
            )
            org[version] = crypto.keypair_from_private_bytes(raw).private
    ciphers = []
    for case_key in copy["case_keys"]:
        uid = case_key["case_uid"]
        dek = crypto.unseal(
            org[case_key["org_key_id"]], bytes(case_key["sealed"]), info=case_dek_info(uid)
        )
        ciphers.append(CaseCipher(uid, dek))
    return ciphers


def _what_opens(ciphers: list[CaseCipher], *, files_from: dict | None = None) -> set[str]:
    """Every text and file stored now that these ciphers open (`files_from`: old wrapped file
    keys by file uid, as a backup holds them, tried against the bodies stored now)."""
    found: set[str] = set()
    by_uid = {c.case_uid: c for c in ciphers}
    for case in Case.objects.all():
        cipher = by_uid.get(str(case.uid))
        if cipher is None:
            continue
        attempts = [(PAYLOAD_PURPOSE, case.payload)]
        for model in (Message, Note, Addition):
            attempts += [(row.purpose, row.body) for row in model.objects.filter(case=case)]
        for purpose, blob in attempts:
            with contextlib.suppress(VaultError):
                found.add(cipher.decrypt(purpose, bytes(blob)).decode(errors="replace"))
        for f in Attachment.objects.filter(case=case):
            for wrapped in (f.wrapped_key, (files_from or {}).get(str(f.uid))):
                if wrapped is not None:
                    with contextlib.suppress(VaultError):
                        cipher.open_file(f.purpose, bytes(wrapped), bytes(f.blob))
                        found.add(f"file {f.uid}")
    return found


def _staff_page(user, reference: str) -> str:
    return (
        verified_client(user)
        .post(f"/staff/cases/{reference}/", {"reason": "reply"}, follow=True)
        .content.decode()
    )


def test_a_leaver_with_an_old_copy_and_their_password_opens_nothing_written_after_rotation(team):
    case, code, _ = _busy_case(team, 1)
    copy = _vault_copy()
    old_files = {str(f.uid): bytes(f.wrapped_key) for f in Attachment.objects.all()}
    old_ciphers = _leaver_ciphers(copy, team.carla, DEFAULT_PASSWORD)
    # The control: before the rotation the copy and her password open the whole case.
    before = _what_opens(old_ciphers)
    assert {"Marker-old-reply-1", "Marker-old-note-1"} <= before
    assert any(found.startswith("file ") for found in before)

    team.carla.is_active = False  # she leaves
    team.carla.save(update_fields=["is_active"])
    rotation = rotation_run(org_keys=org_keys_from_recovery(team.recovery), batch_size=10)
    assert rotation.rekeyed and rotation.rekeyed_cases == 1
    case.refresh_from_db()

    # Afterwards colleagues and the applicant write more: a reply, an answer, a note, a file.
    kim = VaultBrowser(team.kim)
    assert kim.sign_in()
    kim.open_case(case)
    kim.run(
        lambda r: correspondence.message_to_applicant(
            case=case,
            cipher=vault_session.staff_keys(r).case_cipher(str(case.uid)),
            actor=team.kim,
            text="Marker-new-reply",
        )
    )
    _note(kim, case, "Marker-new-note")
    applicant = applicant_with(code)  # the same receipt code as before
    applicant.act("message", text="Marker-new-answer")
    assert "Your message is sent." in applicant.page
    applicant.act("upload", file=("photo.jpg", photo_with_gps("NewFile")))
    assert "Your file is sent." in applicant.page
    new_file = Attachment.objects.latest("created_at")

    # The old copy's keys open nothing stored now: not the new writing, not the old writing
    # (re-encrypted), not a file key; the new file does not open even with the old file keys.
    assert _what_opens(old_ciphers, files_from=old_files) <= {
        f"file {uid}" for uid in old_files
    }  # only files whose bodies the copy itself already held, under their old file keys
    assert f"file {new_file.uid}" not in _what_opens(old_ciphers, files_from=old_files)
    assert not _what_opens(old_ciphers)
    # Nor does her old grant's organisation key open the case's key row as it is now.
    current = [{**row, "org_key_id": 1} for row in CaseKey.objects.values()]
    with pytest.raises(VaultError):
        _leaver_ciphers({**copy, "case_keys": current}, team.carla, DEFAULT_PASSWORD)
    # The carla who left cannot sign in and open it again either: her grant lapsed.
    assert not OrgKeyGrant.objects.filter(user=team.carla).exists()

    # Staff and the applicant read everything, old and new.
    page = _staff_page(team.kim, case.reference)
    for marker in (
        "Marker-intake-1",
        "Marker-old-reply-1",
        "Marker-old-answer-1",
        "Marker-old-add-1",
        "Marker-old-note-1",
        "Marker-new-reply",
        "Marker-new-answer",
        "Marker-new-note",
    ):
        assert marker in page, marker
    applicant = applicant_with(code)
    for marker in ("Marker-old-reply-1", "Marker-new-reply", "Marker-new-answer"):
        assert marker in applicant.page
    staff = verified_client(team.kim)
    staff.post(f"/staff/cases/{case.reference}/", {"reason": "reply"})
    for f in Attachment.objects.all():
        response = staff.post(f"/staff/cases/{case.reference}/files/{f.uid}/")
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"


def test_file_bodies_are_never_rewritten_only_their_keys(team):
    _busy_case(team, 1)
    before = {f.uid: (bytes(f.wrapped_key), bytes(f.blob)) for f in Attachment.objects.all()}
    rotation_run(org_keys=org_keys_from_recovery(team.recovery))
    for f in Attachment.objects.all():
        wrapped, body = before[f.uid]
        assert bytes(f.blob) == body
        assert bytes(f.wrapped_key) != wrapped


def test_one_audit_event_per_batch_records_each_new_key(team):
    made = [_busy_case(team, n)[0] for n in range(5)]
    rotation_run(org_keys=org_keys_from_recovery(team.recovery), batch_size=2)
    batches = AuditEvent.objects.filter(action="cases.rekeyed")
    assert [e.data["cases"] for e in batches] == [2, 2, 1]
    assert all(set(e.data) == {"version", "cases", "root"} for e in batches)
    assert not AuditEvent.objects.filter(action="cases.rekeyed", target_type="case").exists()
    for case in made:  # every one opens for staff, checked against its new commitment
        assert f"Marker-intake-{made.index(case)}" in _staff_page(team.kim, case.reference)
    assert not AuditEvent.objects.filter(action="case.tampering_found").exists()


class _Crash(Exception):
    pass


def _crashing(after_batches: int, where: str) -> CaseRekeyHooks:
    """The hooks, but the process "dies" in batch `after_batches + 1` at `where`."""
    seen = {"batches": 0}

    def rewrite(rekeys):
        if where == "rewrite" and seen["batches"] == after_batches:
            HOOKS.rewrite(rekeys[:1])  # half the batch's rows are already rewritten
            raise _Crash
        HOOKS.rewrite(rekeys)

    def record(batch):
        if where == "record" and seen["batches"] == after_batches:
            raise _Crash
        seen["batches"] += 1
        HOOKS.record(batch)

    return CaseRekeyHooks(lock=HOOKS.lock, rewrite=rewrite, record=record)


@pytest.mark.parametrize("where", ["rewrite", "record"])
def test_a_rotation_killed_inside_a_batch_resumes_and_no_case_is_unreadable_between(team, where):
    from vault.org import org_key_rotate

    made = [_busy_case(team, n) for n in range(3)]
    keys = org_keys_from_recovery(team.recovery)
    with pytest.raises(_Crash):
        org_key_rotate(org_keys=keys, batch_size=2, hooks=_crashing(1, where))
    # The first batch is done, the second changed nothing: each case wholly on one key.
    done = set(CaseKey.objects.filter(org_key_id=2).values_list("case_uid", flat=True))
    assert len(done) == 2 and CaseKey.objects.filter(org_key_id=1).count() == 1
    assert AuditEvent.objects.filter(action="cases.rekeyed").count() == 1
    for n, (case, code, _) in enumerate(made):
        assert f"Marker-old-reply-{n}" in applicant_with(code).page
        assert f"Marker-old-note-{n}" in _staff_page(team.kim, case.reference)

    again = rotation_run(org_keys=org_keys_from_recovery(team.recovery), batch_size=2)
    assert again.rekeyed_cases == 1  # the done ones were skipped
    assert set(CaseKey.objects.values_list("org_key_id", flat=True)) == {2}
    for n, (case, code, _) in enumerate(made):
        assert f"Marker-old-reply-{n}" in applicant_with(code).page
        page = _staff_page(team.kim, case.reference)
        assert f"Marker-old-note-{n}" in page and f"Marker-intake-{n}" in page
    assert not AuditEvent.objects.filter(action="case.tampering_found").exists()


def test_the_command_re_keys_and_a_second_run_rotates_again(team, tmp_path):
    case, code, _ = _busy_case(team, 1)
    path = tmp_path / "secret"
    path.write_text(team.recovery)
    for _ in range(2):
        call_command("rotate_org_key", "--recovery-file", str(path), "--no-progress")
    assert set(CaseKey.objects.values_list("org_key_id", flat=True)) == {3}
    assert "Marker-old-reply-1" in applicant_with(code).page
    assert "Marker-old-note-1" in _staff_page(team.kim, case.reference)


def test_a_status_page_drawn_before_the_rotation_asks_for_the_code_and_stores_nothing(team):
    _case, code, _ = _busy_case(team, 1)
    applicant = applicant_with(code)  # its forms carry the old key for 15 minutes
    rotation_run(org_keys=org_keys_from_recovery(team.recovery))
    count = Message.objects.count()
    applicant.act("message", text="Marker-late")
    assert Message.objects.count() == count
    assert "Marker-late" in applicant.page  # shown back so nothing is lost
    assert 'name="capability"' not in applicant.page
    again = applicant_with(code)
    again.act("message", text="Marker-late")
    assert "Your message is sent." in again.page


def test_old_key_rows_put_back_by_a_database_writer_are_refused_as_tampering(team):
    case, code, _ = _busy_case(team, 1)
    copy = _vault_copy()
    old_texts = {m.pk: bytes(m.body) for m in Message.objects.all()}
    old_payload = bytes(case.payload)
    rotation_run(org_keys=org_keys_from_recovery(team.recovery))
    # A writer who kept the old rows puts the case back on its old key, ciphertexts and all,
    # so that whatever is written next opens with the key the leaver still holds.
    old = copy["applicant_keys"][0]
    ApplicantKey.objects.filter(case_uid=old["case_uid"]).update(sealed=old["sealed"])
    CaseKey.objects.filter(case_uid=old["case_uid"]).update(rekey_batch="", rekey_proof=b"")
    Case.objects.filter(pk=case.pk).update(payload=old_payload)
    for pk, body in old_texts.items():
        Message.objects.filter(pk=pk).update(body=body)
    applicant = Applicant()
    assert applicant.check(code).status_code == 409
    assert "Marker-old-reply-1" not in applicant.page
    assert AuditEvent.objects.filter(action="case.tampering_found", data={"what": "key"}).exists()


def test_the_migration_splits_old_blobs_without_a_key(team):
    _case, code, _ = _busy_case(team, 1)
    f = Attachment.objects.get()
    wrapped, body = bytes(f.wrapped_key), bytes(f.blob)
    Attachment.objects.filter(pk=f.pk).update(
        wrapped_key=b"", blob=len(wrapped).to_bytes(2, "big") + wrapped + body
    )
    migration = importlib.import_module("evacuation.migrations.0011_attachment_wrapped_key")
    migration.split_blobs(django_apps, None)
    f.refresh_from_db()
    assert (bytes(f.wrapped_key), bytes(f.blob)) == (wrapped, body)
    assert file_blob_split(len(wrapped).to_bytes(2, "big") + wrapped + body) == (wrapped, body)
    cipher = applicant_cipher(code)
    assert cipher.open_file(f.purpose, f.wrapped_key, f.blob)[:2] == b"\xff\xd8"
