"""IdempotentRequest moves from missions to api: state only. Its table (missions_idempotentrequest), rows,
constraint and indexes stay as they are; missions 0004 removes the model from missions' state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the model's content type (and the permissions and admin log entries that point to it)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="api", model="idempotentrequest").exists():
        ContentType.objects.using(db).filter(app_label="missions", model="idempotentrequest").update(app_label="api")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="missions", model="idempotentrequest").exists():
        ContentType.objects.using(db).filter(app_label="api", model="idempotentrequest").update(app_label="missions")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("missions", "0003_booking_coverage_indexes"),  # the table exists (missions 0001)
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotentRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("scope", models.CharField(max_length=100)),
                        ("body_hash", models.CharField(max_length=64)),
                        ("response_status", models.PositiveSmallIntegerField()),
                        ("response_body", models.JSONField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "requête idempotente",
                        "db_table": "missions_idempotentrequest",
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "scope", "key"), name="idempotentrequest_unique")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
