# Each case key keeps its commitment, and after a re-keying rotation its batch and Merkle path.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_applicant_key_pair"),
    ]

    operations = [
        migrations.AddField(
            model_name="casekey",
            name="commitment",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="casekey",
            name="rekey_batch",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="casekey",
            name="rekey_index",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="casekey",
            name="rekey_proof",
            field=models.BinaryField(default=b""),
        ),
    ]
