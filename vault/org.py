"""The organisation key: set-up, grants, rotation and recovery.

The private key never rests in clear: one `OrgKeyGrant` per staff member (sealed to their
personal public key) and one `RecoverySeal` (sealed to the recovery public key, whose secret
was printed once by `init_vault`). Granting takes the private key from a coordinator's
unlocked session or from the recovery secret; nobody's password is needed.

Rotation gives every case a new data key as well (`rotation_rekey_batch`): a copy of the old
organisation key then opens only old case keys, which open nothing written afterwards. The
cases' own ciphertexts belong to another app, which registers `vault.cases.CaseRekeyHooks`
and rewrites them through `CaseRekey` (ciphertext in, ciphertext out).

These functions write no audit events (the vault imports no other app); their callers do,
inside the same transaction.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from base64 import b32decode, b32encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.bulk import update_by_pk
from vault import crypto, triage
from vault.cases import (
    CaseCipher,
    CaseRekey,
    CaseRekeyHooks,
    RekeyBatch,
    applicant_dek_info,
    case_dek_info,
    commitment_tree,
    current_org_key,
    rekey_hooks,
)
from vault.errors import (
    NoPersonalKey,
    VaultAlreadyInitialised,
    VaultError,
    VaultLocked,
    VaultNotInitialised,
    WrongRecoverySecret,
)
from vault.models import (
    ApplicantKey,
    CaseKey,
    OrgKey,
    OrgKeyGrant,
    RecoveryKey,
    RecoverySeal,
    StaffKey,
    TriageSeal,
)
from vault.staff import grant_info

if TYPE_CHECKING:
    from vault.session import StaffKeys

RECOVERY_INFO = b"safe-passage|recovery-key|v1"
RECOVERY_SECRET_BYTES = 32
ROTATION_BATCH = 500


def _recovery_seal_info(version: int) -> bytes:
    return f"safe-passage|org-recovery|v{version}".encode()


# Recovery secret: 256 random bits as 52 base32 characters in groups of four. Readers confuse
# 0/O, 1/I and 8/B; base32 has no 0, 1 or 8, so those are read as the letters.
_CONFUSABLE = str.maketrans({"0": "O", "1": "I", "8": "B"})


def _recovery_secret_format(secret: bytes) -> str:
    text = b32encode(secret).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def recovery_secret_parse(text: str) -> bytes:
    cleaned = re.sub(r"[^A-Za-z0-9]", "", text).upper().translate(_CONFUSABLE)
    try:
        secret = b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise WrongRecoverySecret("That is not a recovery secret.") from exc
    if len(secret) != RECOVERY_SECRET_BYTES:
        raise WrongRecoverySecret("That is not a recovery secret.")
    return secret


def _recovery_keypair(recovery_secret: str) -> crypto.KeyPair:
    keypair = crypto.keypair_derive(recovery_secret_parse(recovery_secret), info=RECOVERY_INFO)
    stored = RecoveryKey.objects.filter(pk=1).first()
    if stored is None:
        raise VaultNotInitialised("The vault is not initialised.")
    if bytes(stored.public_key) != keypair.public_bytes:
        raise WrongRecoverySecret("This recovery secret does not belong to this vault.")
    return keypair


def vault_is_initialised() -> bool:
    return RecoveryKey.objects.exists() or OrgKey.objects.exists()


@dataclass
class VaultInit:
    recovery_secret: str = field(repr=False)
    version: int
    fingerprint: str
    granted: list = field(default_factory=list)


def _org_key_add(*, version: int, recovery_public: bytes, holders: Iterable) -> crypto.KeyPair:
    keypair = crypto.keypair_generate()
    OrgKey.objects.create(
        version=version,
        public_key=keypair.public_bytes,
        fingerprint=crypto.fingerprint(keypair.public_bytes),
    )
    RecoverySeal.objects.create(
        org_key_id=version,
        sealed=crypto.seal(
            recovery_public, keypair.private_bytes, info=_recovery_seal_info(version)
        ),
    )
    for user in holders:
        _grant(user, {version: keypair.private_bytes}, via="rotation")
    return keypair


def vault_init(*, grantees: Iterable = ()) -> VaultInit:
    """Creates the recovery key and organisation key v1; grants `grantees` at once.

    Raises VaultAlreadyInitialised if any key exists. The returned recovery secret is the only
    copy: show it once, never store or log it."""
    secret = os.urandom(RECOVERY_SECRET_BYTES)
    recovery = crypto.keypair_derive(secret, info=RECOVERY_INFO)
    try:
        with transaction.atomic():
            if vault_is_initialised():
                raise VaultAlreadyInitialised("The vault is already initialised.")
            RecoveryKey.objects.create(
                pk=1,
                public_key=recovery.public_bytes,
                fingerprint=crypto.fingerprint(recovery.public_bytes),
            )
            org = _org_key_add(version=1, recovery_public=recovery.public_bytes, holders=())
            triage.ensure({1: org.private_bytes})
            granted = []
            for user in grantees:
                _grant(user, {1: org.private_bytes}, via="init")
                granted.append(user)
    except IntegrityError as exc:  # a concurrent init_vault won
        raise VaultAlreadyInitialised("The vault is already initialised.") from exc
    return VaultInit(
        recovery_secret=_recovery_secret_format(secret),
        version=1,
        fingerprint=crypto.fingerprint(org.public_bytes),
        granted=granted,
    )


def _grant(grantee, org_keys: dict[int, bytes], *, via: str) -> None:
    staff_key = StaffKey.objects.filter(user=grantee).first()
    if staff_key is None:
        raise NoPersonalKey("This staff member has no personal key yet.")
    public = crypto.public_key_load(bytes(staff_key.public_key))
    for version, private_bytes in org_keys.items():
        OrgKeyGrant.objects.update_or_create(
            user=grantee,
            org_key_id=version,
            defaults={
                "sealed": crypto.seal(public, private_bytes, info=grant_info(version, grantee.pk)),
                "via": via,
                "created_at": timezone.now(),
            },
        )


def org_keys_from_recovery(recovery_secret: str) -> dict[int, bytes]:
    """Every live organisation private key, opened with the recovery secret."""
    recovery = _recovery_keypair(recovery_secret)
    keys = {}
    for seal in RecoverySeal.objects.filter(org_key__destroyed_at__isnull=True):
        keys[seal.org_key_id] = crypto.unseal(
            recovery.private, bytes(seal.sealed), info=_recovery_seal_info(seal.org_key_id)
        )
    if not keys:
        raise VaultNotInitialised("No organisation key is sealed to the recovery key.")
    return keys


def _check_org_keys(org_keys: dict[int, bytes]) -> None:
    """Each private key must be the one whose public half is on record: a mix-up must fail here,
    not leave cases sealed to a key nobody holds."""
    publics = dict(
        OrgKey.objects.filter(version__in=list(org_keys)).values_list("version", "public_key")
    )
    for version, private_bytes in org_keys.items():
        public = crypto.keypair_from_private_bytes(private_bytes).public_bytes
        if bytes(publics.get(version, b"")) != public:
            raise VaultError(f"The private key given for version {version} does not match.")


def _grant_all_live(grantee, org_keys: dict[int, bytes], *, via: str) -> int:
    _check_org_keys(org_keys)
    current = current_org_key().version
    live = set(OrgKey.objects.filter(destroyed_at__isnull=True).values_list("version", flat=True))
    if current not in org_keys:
        raise VaultLocked("This session does not hold the current organisation key.")
    with transaction.atomic():
        _grant(grantee, {v: k for v, k in org_keys.items() if v in live}, via=via)
    return current


def grant_from_session(*, keys: StaffKeys, grantee) -> int:
    """Seals the organisation key held by the granter's unlocked session (`keys`) to
    `grantee`. The caller checks that the granter may grant and the grantee may open cases.
    Returns the version granted. Raises VaultLocked, NoPersonalKey."""
    return _grant_all_live(grantee, keys.org_keys(), via="session")


def grant_from_recovery(*, grantee, recovery_secret: str) -> int:
    """Raises WrongRecoverySecret, NoPersonalKey, VaultNotInitialised. Returns the version."""
    return _grant_all_live(grantee, org_keys_from_recovery(recovery_secret), via="recovery")


def grant_revoke(*, grantee) -> int:
    """Deletes every grant the user holds (takes effect on their next case open)."""
    deleted, _ = OrgKeyGrant.objects.filter(user=grantee).delete()
    return deleted


def vault_recover(*, recovery_secret: str, grantees: Iterable) -> tuple[int, list]:
    """Re-grants the organisation key to each grantee that has a personal key (after every
    staff member lost theirs, e.g. all passwords reset). Returns (version, users granted)."""
    org_keys = org_keys_from_recovery(recovery_secret)
    granted = []
    with transaction.atomic():
        version = 0
        for user in grantees:
            if not StaffKey.objects.filter(user=user).exists():
                continue
            version = _grant_all_live(user, org_keys, via="recovery")
            granted.append(user)
    return version or current_org_key().version, granted


@dataclass
class Rotation:
    old_versions: list[int]
    new_version: int
    cases: int = 0
    finished: bool = False
    # Keyset cursor: each batch starts after the last row done, so a batch never walks past
    # the rows already re-sealed (that walk made 100,000 cases quadratic).
    after_pk: int = 0
    created: bool = False  # this call made the new version (False: resuming one)
    batches: int = 0
    rekeyed_cases: int = 0  # of `cases`, those given a new data key (the rest had no case data)
    rekeyed: bool = False  # every case was given a new data key (not only re-sealed)


def rotation_start(
    *, org_keys: dict[int, bytes], on_start: Callable[[Rotation], None] | None = None
) -> Rotation:
    """Creates version N+1 (sealed to the recovery key and to every holder of N), or, when a
    rotation was interrupted, picks it up. New case keys go to N+1 from here on. `on_start`
    runs inside the transaction that creates N+1 (for the audit event), not on a resume."""
    live = list(OrgKey.objects.filter(destroyed_at__isnull=True).order_by("version"))
    if not live:
        raise VaultNotInitialised("The vault is not initialised.")
    _check_org_keys(org_keys)
    created = False
    if len(live) == 1:
        old = live[0]
        if old.version not in org_keys:
            raise VaultLocked("The current organisation key is not available.")
        recovery = RecoveryKey.objects.get(pk=1)
        # A rotation often follows someone leaving: only active staff whose role still opens
        # cases carry their grant over; everyone else's lapses with the old key.
        holders = [
            g.user
            for g in OrgKeyGrant.objects.filter(org_key=old).select_related("user")
            if g.user.is_active and getattr(g.user, "may", lambda _: True)("open_case")
        ]
        try:
            with transaction.atomic():
                new = _org_key_add(
                    version=old.version + 1,
                    recovery_public=bytes(recovery.public_key),
                    holders=holders,
                )
                # The triage key stays the same; the new version holds it too.
                triage_pair = triage.private_key(org_keys)
                if triage_pair is not None:
                    triage.reseal(triage_pair, version=old.version + 1, public=new.public_bytes)
                if on_start is not None:
                    on_start(Rotation(old_versions=[old.version], new_version=old.version + 1))
            created = True
        except IntegrityError:
            pass  # another rotate_org_key started the same version: resume it
        live = list(OrgKey.objects.filter(destroyed_at__isnull=True).order_by("version"))
    old_versions = [k.version for k in live[:-1]]
    missing = [v for v in old_versions if v not in org_keys]
    if missing:
        raise VaultLocked(f"Organisation key version(s) {missing} are not available.")
    return Rotation(old_versions=old_versions, new_version=live[-1].version, created=created)


class _Resealer:
    """Opens case keys with the old private key(s) and seals them to the new public key,
    in this process (workers=0) or in that many forked worker processes (the HPKE calls hold
    the GIL, so threads would not help). Workers only compute; the database stays here."""

    def __init__(self, rotation: Rotation, org_keys: dict[int, bytes], workers: int) -> None:
        new = OrgKey.objects.get(version=rotation.new_version)
        self.args = ({v: org_keys[v] for v in rotation.old_versions}, bytes(new.public_key))
        self.workers = max(1, workers)
        self.pool = None
        if workers > 0:
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.workers, _reseal_init, self.args)
        else:
            _reseal_init(*self.args)

    def __call__(self, items: list[tuple[int, int, str, bytes]]) -> list[bytes]:
        if not items:
            return []
        if self.pool is None:
            return _reseal_items(items)
        size = -(-len(items) // self.workers)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        return [sealed for chunk in self.pool.map(_reseal_items, chunks) for sealed in chunk]

    def submit(self, items: list[tuple[int, int, str, bytes]]):
        """Starts the work in the pool and returns at once; `.get()` on the result waits."""
        size = -(-len(items) // self.workers)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        return self.pool.map_async(_reseal_items, chunks)

    def close(self) -> None:
        _RESEAL_STATE.clear()
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


_RESEAL_STATE: dict = {}


def _reseal_init(old_private: dict[int, bytes], new_public: bytes) -> None:
    _RESEAL_STATE["old"] = {
        v: crypto.keypair_from_private_bytes(raw).private for v, raw in old_private.items()
    }
    _RESEAL_STATE["new"] = crypto.public_key_load(new_public)


def _reseal_items(items: list[tuple[int, int, str, bytes]]) -> list[bytes]:
    old, new = _RESEAL_STATE["old"], _RESEAL_STATE["new"]
    out = []
    for pk, version, case_uid, sealed in items:
        info = case_dek_info(case_uid)
        try:
            dek = crypto.unseal(old[version], sealed, info=info)
        except VaultError as exc:
            raise VaultError(f"Case key row {pk} does not open; rotation stopped.") from exc
        out.append(crypto.seal(new, dek, info=info))
    return out


def rotation_reseal_batch(
    rotation: Rotation,
    *,
    org_keys: dict[int, bytes],
    batch_size: int = ROTATION_BATCH,
    resealer: _Resealer | None = None,
) -> int:
    """Re-seals up to `batch_size` case keys to the new version in one transaction; returns
    how many (0: nothing left). Only the sealed DEK changes, never a payload."""
    own = resealer is None
    resealer = resealer or _Resealer(rotation, org_keys, workers=0)
    try:
        with transaction.atomic():
            # Plain tuples, not model instances: at 100,000 rows the ORM's objects cost seconds.
            items = list(
                CaseKey.objects.filter(
                    org_key_id__in=rotation.old_versions, pk__gt=rotation.after_pk
                )
                .order_by("pk")
                .select_for_update()
                .values_list("pk", "org_key_id", "case_uid", "sealed")[:batch_size]
            )
            items = [(pk, version, uid, bytes(sealed)) for pk, version, uid, sealed in items]
            if items:
                resealed = resealer(items)
                _save_resealed(
                    [
                        (sealed, rotation.new_version, item[0], item[1])
                        for item, sealed in zip(items, resealed, strict=True)
                    ]
                )
                rotation.after_pk = items[-1][0]
    finally:
        if own:
            resealer.close()
    rotation.cases += len(items)
    return len(items)


def _save_resealed(params: list[tuple[bytes, int, int, int]]) -> None:
    """(sealed, new version, pk, old version) per row. One statement per row sent as a batch
    (psycopg pipelines executemany): several times faster than bulk_update's CASE WHEN."""
    table = connection.ops.quote_name(CaseKey._meta.db_table)
    sealed = connection.ops.quote_name(CaseKey._meta.get_field("sealed").column)
    version = connection.ops.quote_name(CaseKey._meta.get_field("org_key").column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {sealed} = %s, {version} = %s "  # noqa: S608
            f"WHERE id = %s AND {version} = %s",
            params,
        )


def rotation_rekey_batch(
    rotation: Rotation,
    *,
    org_keys: dict[int, bytes],
    hooks: CaseRekeyHooks,
    batch_size: int = ROTATION_BATCH,
) -> int:
    """Re-keys up to `batch_size` cases in one transaction; returns how many (0: none left).

    Each case gets a new random DEK: `hooks.rewrite` re-encrypts its ciphertexts under it, the
    DEK is sealed to the new organisation key and to the applicant's stored public key (so the
    same receipt code opens it), and its commitment joins the batch's Merkle root, which
    `hooks.record` writes as the batch's one audit event. Everything of a case changes in the
    same transaction or nothing does, so a kill at any point leaves each case wholly on its old
    key (still sealed to the old version, picked up again on resume) or wholly on its new one.
    The old DEKs, which a copy of the old organisation key still opens, open nothing written
    from here on."""
    new = OrgKey.objects.get(version=rotation.new_version)
    new_public = crypto.public_key_load(bytes(new.public_key))
    old_private = {
        v: crypto.keypair_from_private_bytes(org_keys[v]).private for v in rotation.old_versions
    }
    with transaction.atomic():
        candidates = list(
            CaseKey.objects.filter(org_key_id__in=rotation.old_versions, pk__gt=rotation.after_pk)
            .order_by("pk")
            .values_list("pk", "case_uid")[:batch_size]
        )
        if not candidates:
            return 0
        # The cases first, then their keys: the order a purge takes them in, so neither waits
        # on the other in a circle.
        live = hooks.lock([uid for _, uid in candidates])
        rows = list(
            CaseKey.objects.filter(
                pk__in=[pk for pk, _ in candidates], org_key_id__in=rotation.old_versions
            )
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "org_key_id", "case_uid", "sealed")
        )
        applicants = {
            uid: (pk, public)
            for pk, uid, public in ApplicantKey.objects.filter(
                case_uid__in=[row[2] for row in rows]
            )
            .select_for_update()
            .values_list("pk", "case_uid", "public_key")
        }
        rekeys: list[CaseRekey] = []
        plain: list[tuple[int, int, str, bytes]] = []  # no case row (left by a purge): reseal
        for pk, version, uid, sealed in rows:
            info = case_dek_info(uid)
            try:
                dek = crypto.unseal(old_private[version], bytes(sealed), info=info)
            except VaultError as exc:
                raise VaultError(f"Case key row {pk} does not open; rotation stopped.") from exc
            if uid not in live:
                plain.append((pk, version, uid, dek))
                continue
            rekeys.append(CaseRekey(CaseCipher(uid, dek), CaseCipher(uid, crypto.random_key())))
        pks = {uid: pk for pk, _, uid, _ in rows}
        if rekeys:
            hooks.rewrite(rekeys)
            ref = f"v{rotation.new_version}:{os.urandom(8).hex()}"
            root, proofs = commitment_tree(
                [(rk.case_uid, rk.commitment(), rk.bound) for rk in rekeys]
            )
            _save_rekeyed(
                [
                    (
                        rk._seal_new(new_public, info=case_dek_info(rk.case_uid)),
                        rotation.new_version,
                        rk.commitment(),
                        ref,
                        index,
                        proof,
                        pks[rk.case_uid],
                    )
                    for index, (rk, proof) in enumerate(zip(rekeys, proofs, strict=True))
                ],
                [
                    (
                        rk._seal_new(
                            crypto.public_key_load(bytes(applicants[rk.case_uid][1])),
                            info=applicant_dek_info(rk.case_uid),
                        ),
                        applicants[rk.case_uid][0],
                    )
                    for rk in rekeys
                    if rk.case_uid in applicants
                ],
            )
            rotation.batches += 1
            rotation.rekeyed_cases += len(rekeys)
            hooks.record(
                RekeyBatch(ref=ref, version=rotation.new_version, cases=len(rekeys), root=root)
            )
        if plain:
            _save_resealed(
                [
                    (sealed, rotation.new_version, pk, version)
                    for pk, version, uid, dek in plain
                    for sealed in [crypto.seal(new_public, dek, info=case_dek_info(uid))]
                ]
            )
        rotation.after_pk = candidates[-1][0]
    rotation.cases += len(rows)
    return len(candidates)


def _save_rekeyed(case_keys: list[tuple], applicant_keys: list[tuple[bytes, int]]) -> None:
    """(sealed, version, commitment, batch, index, proof, pk) per case key; (sealed, pk) per
    applicant key. A few statements per batch (core.bulk)."""
    update_by_pk(
        CaseKey,
        ["sealed", "org_key", "commitment", "rekey_batch", "rekey_index", "rekey_proof"],
        case_keys,
    )
    update_by_pk(ApplicantKey, ["sealed"], applicant_keys)


def rotation_finish(
    rotation: Rotation, *, on_finish: Callable[[Rotation], None] | None = None
) -> bool:
    """Destroys the old versions (every grant and recovery seal of them) once no case key needs
    them. `on_finish` runs inside the same transaction (for the audit event). Returns False if
    case keys still wait (a case was created on the old version meanwhile): reseal again."""
    with transaction.atomic():
        list(OrgKey.objects.select_for_update().filter(version__in=rotation.old_versions))
        if CaseKey.objects.filter(org_key_id__in=rotation.old_versions).exists():
            return False
        OrgKeyGrant.objects.filter(org_key_id__in=rotation.old_versions).delete()
        RecoverySeal.objects.filter(org_key_id__in=rotation.old_versions).delete()
        TriageSeal.objects.filter(org_key_id__in=rotation.old_versions).delete()
        OrgKey.objects.filter(version__in=rotation.old_versions).update(destroyed_at=timezone.now())
        rotation.finished = True
        if on_finish is not None:
            on_finish(rotation)
    return True


def _sweep_pipelined(
    rotation: Rotation,
    resealer: _Resealer,
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    """While the workers re-seal batch N+1, this process writes batch N. Rows are read without
    a lock; each UPDATE only applies to a row still on the version it was read at, so a row
    shredded or re-sealed meanwhile is left alone (a later sweep sees anything left over)."""

    def fetch():
        items = list(
            CaseKey.objects.filter(org_key_id__in=rotation.old_versions, pk__gt=rotation.after_pk)
            .order_by("pk")
            .values_list("pk", "org_key_id", "case_uid", "sealed")[:batch_size]
        )
        if not items:
            return None
        rotation.after_pk = items[-1][0]
        items = [(pk, version, uid, bytes(sealed)) for pk, version, uid, sealed in items]
        return items, resealer.submit(items)

    pending = fetch()
    while pending is not None:
        following = fetch()
        items, result = pending
        resealed = [sealed for chunk in result.get() for sealed in chunk]
        with transaction.atomic():
            _save_resealed(
                [
                    (sealed, rotation.new_version, pk, version)
                    for (pk, version, _, _), sealed in zip(items, resealed, strict=True)
                ]
            )
        rotation.cases += len(items)
        if progress is not None:
            progress(len(items))
        pending = following


def org_key_rotate(
    *,
    org_keys: dict[int, bytes],
    batch_size: int = ROTATION_BATCH,
    progress: Callable[[int], None] | None = None,
    on_finish: Callable[[Rotation], None] | None = None,
    on_start: Callable[[Rotation], None] | None = None,
    workers: int = 0,
    hooks: CaseRekeyHooks | None = None,
    rekey: bool = True,
) -> Rotation:
    """The whole rotation: start (or resume), re-key every case in batches (or, with
    rekey=False or when no app registered re-keying hooks, only re-seal the case keys), then
    destroy the old private key. Safe to interrupt and run again. Raises VaultLocked if
    `org_keys` lacks an old version (from `org_keys_from_recovery` or `StaffKeys.org_keys()`).
    With `workers` >= 1 the HPKE work of a re-seal-only rotation runs in that many forked
    processes while this one writes to the database (commands only, never inside a web
    worker); 0 keeps everything in-process. Re-keying runs in this process."""
    rotation = rotation_start(org_keys=org_keys, on_start=on_start)
    hooks = (hooks or rekey_hooks()) if rekey else None
    if hooks is not None:
        rotation.rekeyed = True
        while True:
            rotation.after_pk = 0  # a sweep from the start picks up late arrivals
            while done := rotation_rekey_batch(
                rotation, org_keys=org_keys, hooks=hooks, batch_size=batch_size
            ):
                if progress is not None:
                    progress(done)
            if rotation_finish(rotation, on_finish=on_finish):
                return rotation
    resealer = _Resealer(rotation, org_keys, workers)
    try:
        while True:
            rotation.after_pk = 0  # a sweep from the start picks up late arrivals
            if resealer.pool is not None:
                _sweep_pipelined(rotation, resealer, batch_size=batch_size, progress=progress)
            else:
                while done := rotation_reseal_batch(
                    rotation, org_keys=org_keys, batch_size=batch_size, resealer=resealer
                ):
                    if progress is not None:
                        progress(done)
            if rotation_finish(rotation, on_finish=on_finish):
                return rotation
    finally:
        resealer.close()


def grant_recorded(grantee, *, version: int, via: str, actor="system") -> None:
    """The audit event of a grant (in the caller's transaction): the one place every grant path,
    command or page, writes what a key grant records."""
    from audit.actions import Action
    from audit.services import record

    record(
        action=Action.KEY_GRANTED,
        actor=actor,
        target_type="user",
        target_ref=str(grantee.pk),
        data={"version": version, "via": via},
    )
