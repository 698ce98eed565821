"""Re-keying: what a rotation does to the cases' own ciphertexts.

A rotation (vault.org.org_key_rotate) gives every case that is not purged a new data key, so a
copy of the old organisation key (a leaver's grant and password, an earlier backup) opens only
the old case keys, and those open nothing written from then on. The vault makes the new key and
seals it; this module, registered from `EvacuationConfig.ready`, is the part that knows the
cases' rows: it locks them, passes each ciphertext through the vault's `CaseRekey` (ciphertext
in, ciphertext out: no key leaves the vault) and writes the batch's one audit event.

Every ciphertext keeps its purpose, so what a purpose binds (direction, author, place in the
thread, time) still holds. A file's body is never rewritten: only its wrapped key is.
"""

from __future__ import annotations

from types import SimpleNamespace

from audit.actions import Action
from audit.services import record
from core.bulk import update_by_pk
from evacuation.models import PAYLOAD_PURPOSE, Addition, Attachment, Case, Message, Note
from evacuation.services import integrity
from evacuation.services.correspondence import SEEN_PURPOSE
from vault.cases import CaseRekey, CaseRekeyHooks, RekeyBatch
from vault.errors import VaultError


def cases_lock(case_uids: list[str]) -> set[str]:
    """Locks the cases (in the caller's transaction) as every writer and the purge do, so no
    message, note or file is written under the old key while the case is re-keyed; returns the
    uids of those not purged."""
    locked = (
        Case.objects.select_for_update()
        .filter(uid__in=case_uids, purged_at__isnull=True)
        .order_by("pk")
        .values_list("uid", flat=True)
    )
    return {str(uid) for uid in locked}


def _update_many(model, column: str, rows: list[tuple[bytes, int]]) -> None:
    """(value, pk) per row, a few statements per batch (core.bulk)."""
    update_by_pk(model, [column], rows)


def cases_rewrite(rekeys: list[CaseRekey]) -> None:
    """Re-encrypts every ciphertext of these (locked) cases under their new keys: the request,
    what the applicant saw, additions, messages, notes, and each file's wrapped key. Raises
    VaultError if one does not open under the old key (the batch then changes nothing)."""
    by_uid = {rk.case_uid: rk for rk in rekeys}
    cases = list(
        Case.objects.filter(uid__in=list(by_uid)).values_list("pk", "uid", "payload", "seen")
    )
    uid_of = {pk: str(uid) for pk, uid, _, _ in cases}
    payloads, seens = [], []
    for pk, uid, payload, seen in cases:
        rekey = by_uid[str(uid)]
        new_payload = rekey.reseal_text(PAYLOAD_PURPOSE, payload)
        # The request's new ciphertext is vouched for by the batch's event from now on.
        rekey.bind(integrity.request_hash(new_payload))
        payloads.append((new_payload, pk))
        if bytes(seen):
            try:
                seens.append((rekey.reseal_text(SEEN_PURPOSE, seen), pk))
            except VaultError:
                seens.append((b"", pk))  # a count that did not open counts as nothing seen
    _update_many(Case, "payload", payloads)
    _update_many(Case, "seen", seens)

    def rows(model, *, skip: str = ""):
        """Each row's fields as attributes (no model instances: at 100,000 cases they cost
        seconds), enough for the model's own `purpose` to be computed from them."""
        names = [f.attname for f in model._meta.concrete_fields if f.attname != skip]
        for values in model.objects.filter(case_id__in=list(uid_of)).values_list(*names):
            yield SimpleNamespace(**dict(zip(names, values, strict=True)))

    for model in (Message, Note, Addition):
        purpose = model.purpose.fget
        _update_many(
            model,
            "body",
            [
                (by_uid[uid_of[row.case_id]].reseal_text(purpose(row), row.body), row.id)
                for row in rows(model)
            ],
        )
    # Everything but the body, which stays as it is (sealed under the file key, not the case's).
    purpose = Attachment.purpose.fget
    _update_many(
        Attachment,
        "wrapped_key",
        [
            (by_uid[uid_of[f.case_id]].rewrap_file_key(purpose(f), f.wrapped_key), f.id)
            for f in rows(Attachment, skip="blob")
        ],
    )


def batch_record(batch: RekeyBatch) -> None:
    """The batch's one audit event, in the batch's transaction: integrity.checked finds each
    re-keyed case's new commitment through it."""
    record(
        action=Action.CASES_REKEYED,
        actor="system",
        target_type="vault",
        target_ref=batch.ref,
        data={"version": batch.version, "cases": batch.cases, "root": batch.root},
    )


HOOKS = CaseRekeyHooks(lock=cases_lock, rewrite=cases_rewrite, record=batch_record)
