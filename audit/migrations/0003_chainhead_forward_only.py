"""Triggers that let the chain head move forward only, one appended event at a time."""

from django.db import migrations

from audit.triggers import migrate_install_head, migrate_remove_head


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.RunPython(migrate_install_head, migrate_remove_head),
    ]
