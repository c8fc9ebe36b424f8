"""IdempotentRequest now belongs to the api app (api 0001): removed from missions' state only; the table
missions_idempotentrequest and its rows stay, owned by api.IdempotentRequest."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("missions", "0003_booking_coverage_indexes"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotentRequest")],
            database_operations=[],
        ),
    ]
