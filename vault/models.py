"""Key material, every piece of it sealed or wrapped: no row here opens anything by itself.

- `OrgKey`: the organisation's public key per version; its private key exists only as
  `OrgKeyGrant` rows (sealed to one staff member's personal public key) and as one
  `RecoverySeal` (sealed to the offline recovery key).
- `StaffKey`: a staff member's personal key pair, the private half wrapped under
  Argon2id(password).
- `CaseKey`: a case's data key sealed to an organisation public key; `ApplicantKey`: the same
  data key sealed to the applicant's key pair, which Argon2id(receipt code's secret) derives.
Cases are referred to by their uid string, not a foreign key: the vault imports no other app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RecoveryKey(models.Model):
    """The one public half of the recovery key; the secret that derives it was printed once."""

    public_key = models.BinaryField()
    fingerprint = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="vault_one_recovery_key")
        ]

    def __str__(self) -> str:
        return f"recovery key {self.fingerprint}"


class OrgKey(models.Model):
    version = models.PositiveIntegerField(unique=True)
    public_key = models.BinaryField()
    fingerprint = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a rotation finished re-sealing every case to a newer version and deleted
    # every sealed copy of this version's private key.
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version"]

    def __str__(self) -> str:
        return f"organisation key v{self.version}"


class OrgKeyGrant(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_grants"
    )
    org_key = models.ForeignKey(
        OrgKey,
        to_field="version",
        db_column="org_version",
        on_delete=models.PROTECT,
        related_name="grants",
    )
    sealed = models.BinaryField()
    via = models.CharField(max_length=16)  # session | recovery | rotation | init
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org_key"], name="vault_one_grant_per_version")
        ]

    def __str__(self) -> str:
        return f"grant of v{self.org_key_id} to user {self.user_id}"


class RecoverySeal(models.Model):
    org_key = models.OneToOneField(
        OrgKey,
        to_field="version",
        db_column="org_version",
        on_delete=models.PROTECT,
        related_name="recovery_seal",
    )
    sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"recovery seal of v{self.org_key_id}"


class StaffKey(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_key"
    )
    public_key = models.BinaryField()
    wrapped_private = models.BinaryField()
    salt = models.BinaryField()
    argon2_memory_kib = models.PositiveIntegerField()
    argon2_iterations = models.PositiveIntegerField()
    argon2_lanes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The input every security key of this person evaluates its PRF on (not secret). Once one key
    # is bound (StaffKeyBinding), `wrapped_private` is empty: the password alone opens nothing.
    prf_salt = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"personal key of user {self.user_id}"


class TriageKey(models.Model):
    """The organisation-wide triage key's public half: every intake seals its coarse triage
    summary to it. Its private half exists only as `TriageSeal` rows, one sealed to each live
    organisation key version, so whoever holds the organisation key holds it (vault.triage)."""

    public_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="vault_one_triage_key")
        ]

    def __str__(self) -> str:
        return "triage key"


class TriageSeal(models.Model):
    org_key = models.OneToOneField(
        OrgKey,
        to_field="version",
        db_column="org_version",
        on_delete=models.CASCADE,
        related_name="triage_seal",
    )
    sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"triage seal of v{self.org_key_id}"


class StaffKeyBinding(models.Model):
    """The personal private key bound to one security key: sealed (HPKE) to a key pair that only
    that key's PRF output derives, then wrapped under Argon2id(password) with StaffKey's salt.
    Opening it needs the password and the key; a password change re-wraps the outer layer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_bindings"
    )
    # The WebAuthn credential's id, as SHA-256 hex (what django-otp-webauthn keys it by).
    credential = models.CharField(max_length=64, unique=True)
    public_key = models.BinaryField()
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"binding of user {self.user_id}'s key"


class CaseKey(models.Model):
    case_uid = models.CharField(max_length=64, unique=True)
    org_key = models.ForeignKey(
        OrgKey,
        to_field="version",
        db_column="org_version",
        on_delete=models.PROTECT,
        related_name="case_keys",
    )
    sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    # A keyed hash of the DEK (CaseCipher.commitment; not secret), so a writer's cipher can be
    # told stale after a re-keying without opening anything. Empty on rows made before it.
    commitment = models.CharField(max_length=64, blank=True, default="")
    # Set by a re-keying rotation: the batch (the target of its one audit event, which records
    # the Merkle root of the batch's commitments) and this case's path to that root.
    rekey_batch = models.CharField(max_length=64, blank=True, default="")
    rekey_index = models.PositiveIntegerField(default=0)
    rekey_proof = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"case key {self.case_uid}"


class ApplicantKey(models.Model):
    """The case's DEK sealed to the applicant's key pair, found by the receipt code's locator.
    Only the public half is stored: Argon2id of the code's secret re-derives the private half.
    Deleted with the case's other keys when it is purged, so an old code then finds nothing."""

    case_uid = models.CharField(max_length=64, unique=True)
    locator = models.CharField(max_length=7, unique=True)
    public_key = models.BinaryField()
    sealed = models.BinaryField()
    salt = models.BinaryField()
    argon2_memory_kib = models.PositiveIntegerField()
    argon2_iterations = models.PositiveIntegerField()
    argon2_lanes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"applicant key {self.case_uid}"
