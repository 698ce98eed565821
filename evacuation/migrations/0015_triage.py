"""The coarse triage summary, sealed to the organisation-wide triage key (issue 19 item 1)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evacuation", "0014_followups")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="triage",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
