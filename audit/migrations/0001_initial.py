from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

from audit.actions import Action


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(unique=True)),
                ("created_at", models.DateTimeField(db_index=True)),
                ("actor_kind", models.CharField(choices=[("staff", "Staff member"), ("applicant", "Applicant"), ("system", "System"), ("anonymous", "Anonymous")], max_length=10)),
                ("actor_role", models.CharField(blank=True, max_length=20)),
                ("action", models.CharField(choices=Action.choices, db_index=True, max_length=40)),
                ("target_type", models.CharField(blank=True, max_length=10)),
                ("target_ref", models.CharField(blank=True, db_index=True, max_length=64)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
                "ordering": ["sequence"],
            },
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(db_index=True)),
                ("hash", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
                ("key_fingerprint", models.CharField(max_length=95)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "checkpoint",
                "verbose_name_plural": "checkpoints",
                "ordering": ["sequence", "id"],
            },
        ),
    ]
