"""The `unaccent` extension that search uses on PostgreSQL (core/search.py); nothing on SQLite."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0001_transition_log")]

    operations = [UnaccentExtension()]
