"""Refuse to run with a cryptography build that lacks ML-KEM, or weak Argon2 in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3


@register()
def vault_checks(app_configs, **kwargs) -> list[Error]:
    errors = []
    try:
        from vault import crypto

        crypto.keypair_generate()
    except Exception as exc:
        errors.append(
            Error(
                f"The installed cryptography/OpenSSL cannot do ML-KEM-768 + X25519 HPKE ({exc}).",
                hint="Install cryptography >= 50 with its bundled OpenSSL.",
                id="vault.E001",
            )
        )
    if getattr(settings, "ENVIRONMENT", "production") == "production" and (
        settings.VAULT_ARGON2_MEMORY_KIB < MIN_MEMORY_KIB
        or settings.VAULT_ARGON2_ITERATIONS < MIN_ITERATIONS
    ):
        errors.append(
            Error(
                "Argon2id parameters are too weak for production.",
                hint="VAULT_ARGON2_MEMORY_KIB >= 65536 and VAULT_ARGON2_ITERATIONS >= 3.",
                id="vault.E002",
            )
        )
    return errors
