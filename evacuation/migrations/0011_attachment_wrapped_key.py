"""Each file's wrapped key moves out of its blob into a column of its own.

Until now `Attachment.blob` was two bytes of length, the file key wrapped by the case key, then
the body sealed under the file key. From here the blob is the body alone and `wrapped_key` the
key, so a new case key (rotation) re-wraps the key and never rewrites a file. Splitting is byte
slicing only: nothing is decrypted, no key is needed, and both parts keep their associated data.
"""

from django.db import migrations, models


def _split(blob: bytes) -> tuple[bytes, bytes]:
    size = int.from_bytes(blob[:2], "big")
    if len(blob) < 2 + size:
        raise ValueError("An attachment blob is not in the old vault file format.")
    return blob[2 : 2 + size], blob[2 + size :]


def split_blobs(apps, schema_editor) -> None:
    Attachment = apps.get_model("evacuation", "Attachment")
    while True:
        # A few rows at a time: each blob can be megabytes.
        pks = list(Attachment.objects.filter(wrapped_key=b"").values_list("pk", flat=True)[:50])
        if not pks:
            return
        for pk in pks:
            blob = bytes(Attachment.objects.values_list("blob", flat=True).get(pk=pk))
            wrapped, body = _split(blob)
            Attachment.objects.filter(pk=pk).update(wrapped_key=wrapped, blob=body)


def join_blobs(apps, schema_editor) -> None:
    Attachment = apps.get_model("evacuation", "Attachment")
    for pk in Attachment.objects.exclude(wrapped_key=b"").values_list("pk", flat=True).iterator():
        wrapped, body = Attachment.objects.values_list("wrapped_key", "blob").get(pk=pk)
        wrapped, body = bytes(wrapped), bytes(body)
        joined = len(wrapped).to_bytes(2, "big") + wrapped + body
        Attachment.objects.filter(pk=pk).update(wrapped_key=b"", blob=joined)


class Migration(migrations.Migration):
    dependencies = [
        ("evacuation", "0010_bound_ciphertexts"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="wrapped_key",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(split_blobs, join_blobs),
    ]
