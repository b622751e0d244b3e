"""The table of CACHES["shared"] (the API's throttle counters): made by `migrate`, so that a
deployment, whose migration Job runs nothing else, has it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    # Creates the tables of the configured database caches that are missing; idempotent.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
