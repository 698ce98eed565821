# Buckets now refill continuously and carry their own refill time, which the daily
# prune_traces reads. Old rows counted differently: they go (a missing row is a full bucket).

import datetime

from django.db import migrations, models


def forget_buckets(apps, schema_editor):
    apps.get_model("core", "TokenBucket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forget_buckets, migrations.RunPython.noop),
        migrations.RemoveField(model_name="tokenbucket", name="created_at"),
        migrations.AddField(
            model_name="tokenbucket",
            name="refill",
            field=models.DurationField(default=datetime.timedelta(0)),
            preserve_default=False,
        ),
        migrations.AlterField(model_name="tokenbucket", name="tokens", field=models.FloatField()),
        migrations.AlterField(
            model_name="tokenbucket", name="updated_at", field=models.DateTimeField()
        ),
    ]
