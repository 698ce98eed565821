# Messages and notes get their place in the case (sequence), which is bound into their
# ciphertext with their direction, author and time. Existing rows are numbered by time; their
# ciphertexts were made without the binding and no longer open (no install has used them).

from django.db import migrations, models


def number(apps, schema_editor):
    for name in ("Message", "Note"):
        model = apps.get_model("evacuation", name)
        places: dict[int, int] = {}
        for row in model.objects.order_by("case_id", "created_at", "pk"):
            places[row.case_id] = places.get(row.case_id, 0) + 1
            model.objects.filter(pk=row.pk).update(sequence=places[row.case_id])


class Migration(migrations.Migration):
    dependencies = [
        ("evacuation", "0009_additions"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="sequence",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="note",
            name="sequence",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number, migrations.RunPython.noop),
        migrations.AlterModelOptions(name="message", options={"ordering": ["sequence"]}),
        migrations.AlterModelOptions(name="note", options={"ordering": ["sequence"]}),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("case", "sequence"), name="one_message_a_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="note",
            constraint=models.UniqueConstraint(fields=("case", "sequence"), name="one_note_a_place"),
        ),
    ]
