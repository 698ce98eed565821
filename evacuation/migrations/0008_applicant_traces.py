# The applicant's visits leave no trace in clear: activity is kept to the day, and what they last
# saw is sealed under the case key.

from django.db import migrations, models
import django.utils.timezone


class Migration(migrations.Migration):
    dependencies = [
        ("evacuation", "0007_delete_on_request"),
    ]

    operations = [
        migrations.RemoveField(model_name="case", name="last_applicant_activity_at"),
        migrations.AddField(
            model_name="case",
            name="last_applicant_activity_on",
            field=models.DateField(default=django.utils.timezone.localdate),
        ),
        migrations.AddField(
            model_name="case",
            name="seen",
            field=models.BinaryField(default=b"", editable=False),
        ),
    ]
