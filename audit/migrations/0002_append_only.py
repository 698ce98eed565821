"""The chain head row, and triggers that make the database refuse to change audit history."""

from django.db import migrations

from audit.triggers import migrate_install, migrate_remove


def head_create(apps, schema_editor) -> None:
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(head_create, migrations.RunPython.noop),
        migrations.RunPython(migrate_install, migrate_remove),
    ]
