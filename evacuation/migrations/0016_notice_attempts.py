"""How often the mail server refused a notice's address, and the status of one given up."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evacuation", "0015_triage")]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="notice",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sending", "Being sent"),
                    ("sent", "Sent"),
                    ("muted", "Not sent: notifications were off"),
                    ("failed", "Not sent: the mail server refused the address"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
    ]
