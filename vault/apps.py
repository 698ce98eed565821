from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "vault"
    verbose_name = "Key vault"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vault import checks, signals  # noqa: F401  (system checks; forget the key at logout)
