# TokenBucket moved here from evacuation; its table (evacuation_tokenbucket) stays as it is.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("evacuation", "0003_queue_index_ends_with_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TokenBucket",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=128, unique=True)),
                        ("tokens", models.FloatField(default=1.0)),
                        (
                            "created_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={"db_table": "evacuation_tokenbucket"},
                ),
            ],
            database_operations=[],
        ),
    ]
