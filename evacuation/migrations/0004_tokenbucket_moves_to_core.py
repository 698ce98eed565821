# TokenBucket now belongs to core (core/migrations/0001_initial.py); the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evacuation", "0003_queue_index_ends_with_id"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="TokenBucket")],
            database_operations=[],
        ),
    ]
