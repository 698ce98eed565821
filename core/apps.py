from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Some libraries add a handler of their own when first imported, after LOGGING was
        # applied (pyasn1, through webauthn, puts a DEBUG StreamHandler on "pyasn1"): every
        # app's models are imported by now, so the redaction filter goes on those too.
        from core.logs import install_everywhere

        install_everywhere()
