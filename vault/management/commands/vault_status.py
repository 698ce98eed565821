"""What the vault holds, without opening anything: versions, grants, an unfinished rotation."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from vault.models import CaseKey, OrgKey, OrgKeyGrant, RecoveryKey, StaffKey


class Command(BaseCommand):
    help = "Show organisation key versions, who holds a grant, and any unfinished rotation."

    def handle(self, *args, **options) -> None:
        recovery = RecoveryKey.objects.filter(pk=1).first()
        if recovery is None:
            self.stdout.write("The vault is not initialised (run init_vault).")
            return
        self.stdout.write(f"Recovery key fingerprint: {recovery.fingerprint}")
        for org_key in OrgKey.objects.order_by("version"):
            state = "destroyed" if org_key.destroyed_at else "live"
            holders = OrgKeyGrant.objects.filter(org_key=org_key).select_related("user")
            names = ", ".join(sorted(g.user.get_username() for g in holders)) or "nobody"
            cases = CaseKey.objects.filter(org_key=org_key).count()
            self.stdout.write(
                f"v{org_key.version} {state} (fingerprint {org_key.fingerprint}): "
                f"{cases} case keys; granted to {names}"
            )
        live = OrgKey.objects.filter(destroyed_at__isnull=True).count()
        if live > 1:
            self.stdout.write("A rotation is unfinished: run rotate_org_key again to complete it.")
        without = StaffKey.objects.exclude(user__vault_grants__isnull=False).count()
        self.stdout.write(f"Staff with a personal key but no grant: {without}")
