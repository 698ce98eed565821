# The applicant's copy of the case key is now sealed to a key pair derived from the receipt
# code's secret and found by the code's locator. Codes of the old kind (an HMAC lookup keyed by
# SECRET_KEY) are not carried over: no install has used them in production.

from django.db import migrations, models


def forget_old_applicant_keys(apps, schema_editor):
    apps.get_model("vault", "ApplicantKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forget_old_applicant_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="applicantkey", name="wrapped"),
        migrations.AddField(
            model_name="applicantkey",
            name="locator",
            field=models.CharField(max_length=7, unique=True, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="applicantkey",
            name="public_key",
            field=models.BinaryField(default=b""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="applicantkey",
            name="sealed",
            field=models.BinaryField(default=b""),
            preserve_default=False,
        ),
    ]
