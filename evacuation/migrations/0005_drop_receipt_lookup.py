# The receipt code's locator now lives with the applicant's key (vault 0002): the case row holds
# nothing derived from the code, and finding a case no longer depends on SECRET_KEY.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evacuation", "0004_tokenbucket_moves_to_core"),
    ]

    operations = [
        migrations.RemoveField(model_name="case", name="receipt_lookup"),
    ]
