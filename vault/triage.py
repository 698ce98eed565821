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


# A stored summary is one of two forms, told apart by its first byte: SEALED, as the intake
# wrote it (HPKE to the public key: the intake holds no secret), or KEPT, re-encrypted by the
# first staff session that read it under a key derived from the same private key (AES-GCM), so
# that a queue page costs one AES decryption a row instead of one ML-KEM+X25519 decapsulation.
# Both open only with the triage private key; KEPT is never written without it.
SEALED = b"\x10"
KEPT = b"\x11"


def summary_seal(case_uid: str, summary: bytes, *, public: bytes | None = None) -> bytes:
    """The summary sealed to the triage key, bound to its case; b"" while there is no key."""
    public = public if public is not None else public_key()
    if public is None:
        return b""
    return SEALED + crypto.seal(public, summary, info=_summary_info(case_uid))


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

    __slots__ = ("_kept_key", "_private")

    def __init__(self, private: crypto.KeyPair) -> None:
        self._private = private
        self._kept_key = crypto.hkdf(private.private_bytes, info=b"safe-passage|triage|kept")

    def __repr__(self) -> str:
        return "<TriageReader>"

    def __reduce__(self):
        raise TypeError("A TriageReader is not to be pickled or cached.")

    def open(self, case_uid: str, stored: bytes) -> tuple[bytes | None, bytes | None]:
        """(the summary, or None when there is none or it does not open; the KEPT form to
        store instead, when it was still SEALED, else None)."""
        stored = bytes(stored or b"")
        info = _summary_info(case_uid)
        try:
            if stored[:1] == KEPT:
                return crypto.aead_decrypt(self._kept_key, stored[1:], ad=info), None
            if stored[:1] == SEALED:
                summary = crypto.unseal(self._private.private, stored[1:], info=info)
                return summary, KEPT + crypto.aead_encrypt(self._kept_key, summary, ad=info)
        except DecryptionFailed:
            pass
        return None, None
