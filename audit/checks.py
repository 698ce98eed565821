"""Deploy checks for the audit chain's signatures (`manage.py check --deploy`)."""

from __future__ import annotations

import os

from django.core.checks import Error, Tags, Warning, register

from audit import signing


@register(Tags.security, deploy=True)
def signing_keys(app_configs, **kwargs) -> list:
    problems = []
    try:
        signing.public_key()
    except signing.SigningKeyError as exc:
        problems.append(
            Error(
                f"The audit checkpoint public key cannot be used: {exc}",
                hint="Create the key pair with manage.py audit_keygen and set "
                "AUDIT_PUBLIC_KEY_FILE; without it no signature can be verified.",
                id="audit.E001",
            )
        )
    private = signing.key_path()
    if private is not None and private.exists() and os.access(private, os.R_OK):
        problems.append(
            Warning(
                f"This process can read the audit signing key {private}.",
                hint="Only the audit signer's own user may read it: whoever controls the web "
                "app could otherwise sign a chain of their own making (chown it to the signer "
                "user, mode 0600, and unset AUDIT_SIGNING_KEY_FILE in the web app's "
                "environment).",
                id="audit.W001",
            )
        )
    return problems
