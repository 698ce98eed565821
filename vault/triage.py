"""The organisation-wide triage key: what lets the queue show each request's coarse triage
summary (region, help needed, people, children, language, referral) without opening its case.

Every intake seals its summary to the triage public key (`summary_seal`). The private half is
sealed to each live organisation key version (`TriageSeal`), so it is held exactly by the
sessions that hold the organisation key (vault.session.triage_reader) and by the
recovery secret, through the organisation key. A rotation seals it to the new version before
the old one is destroyed (`reseal`). The key is made on first use by a session that holds the
current organisation key (`ensure`); an intake before that stores no summary.

Summaries are coarse on purpose (fixed lists, no free text): evacuation/rules.py declares them
the one exception to "every decryption needs an opening", and every queue page that shows them
is an audit event naming the references shown.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from vault import crypto
from vault.errors import DecryptionFailed
from vault.models import OrgKey, TriageKey, TriageSeal


def _seal_info(version: int) -> bytes:
    return f"safe-passage|triage-key|org-v{version}".encode()


def _summary_info(case_uid: str) -> bytes:
    return b"safe-passage|triage-summary|" + str(case_uid).encode()


def public_key() -> bytes | None:
    row = TriageKey.objects.filter(pk=1).only("public_key").first()
    return bytes(row.public_key) if row is not None else None


def summary_seal(case_uid: str, summary: bytes, *, public: bytes | None = None) -> bytes:
    """The summary sealed to the triage key, bound to its case; b"" while there is no key."""
    public = public if public is not None else public_key()
    if public is None:
        return b""
    return crypto.seal(public, summary, info=_summary_info(case_uid))


def ensure(org_private: dict[int, bytes]) -> bool:
    """Makes the triage key if there is none, sealed to every live organisation key version in
    `org_private` (version -> private bytes); seals an existing one to a version that lacks it.
    Returns whether anything was written."""
    live = {k.version: bytes(k.public_key) for k in OrgKey.objects.filter(destroyed_at=None)}
    usable = {v: raw for v, raw in org_private.items() if v in live}
    if not usable:
        return False
    if not TriageKey.objects.filter(pk=1).exists():
        pair = crypto.keypair_generate()
        try:
            with transaction.atomic():
                TriageKey.objects.create(pk=1, public_key=pair.public_bytes)
                for version, public in live.items():
                    TriageSeal.objects.create(
                        org_key_id=version,
                        sealed=crypto.seal(public, pair.private_bytes, info=_seal_info(version)),
                    )
            return True
        except IntegrityError:
            pass  # another session made it at the same moment
    missing = set(live) - set(TriageSeal.objects.values_list("org_key_id", flat=True))
    if not missing:
        return False
    private = private_key(usable)
    if private is None:
        return False
    for version in missing:
        reseal(private, version=version, public=live[version])
    return True


def reseal(private: crypto.KeyPair, *, version: int, public: bytes) -> None:
    """Seals the triage private key to organisation key `version` (a rotation's new one)."""
    TriageSeal.objects.update_or_create(
        org_key_id=version,
        defaults={"sealed": crypto.seal(public, private.private_bytes, info=_seal_info(version))},
    )


def private_key(org_private: dict[int, bytes]) -> crypto.KeyPair | None:
    """The triage key pair, opened with any organisation key version given, or None."""
    seals = TriageSeal.objects.filter(org_key_id__in=list(org_private))
    for seal in seals:
        org = crypto.keypair_from_private_bytes(org_private[seal.org_key_id])
        try:
            raw = crypto.unseal(org.private, bytes(seal.sealed), info=_seal_info(seal.org_key_id))
        except DecryptionFailed:
            continue
        return crypto.keypair_from_private_bytes(raw)
    return None


class TriageReader:
    """Opens triage summaries, and nothing else; dies with the request that made it."""

    __slots__ = ("_private",)

    def __init__(self, private: crypto.KeyPair) -> None:
        self._private = private

    def __repr__(self) -> str:
        return "<TriageReader>"

    def __reduce__(self):
        raise TypeError("A TriageReader is not to be pickled or cached.")

    def open(self, case_uid: str, sealed: bytes) -> bytes | None:
        """The summary, or None (no summary stored, or it does not open)."""
        if not sealed:
            return None
        try:
            return crypto.unseal(self._private.private, bytes(sealed), info=_summary_info(case_uid))
        except DecryptionFailed:
            return None
