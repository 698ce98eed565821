from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvacuationConfig(AppConfig):
    name = "evacuation"
    verbose_name = _("Evacuation cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A rotation re-keys the cases through these (the vault imports no other app).
        from evacuation.services.rekey import HOOKS
        from vault.cases import rekey_hooks_register

        rekey_hooks_register(HOOKS)
