"""A committed outbox row wakes the relay: PostgreSQL NOTIFYs `shop_outbox` at commit.

A statement-level trigger rather than a NOTIFY from Python: one round trip less for every
message, and no way to record a message without waking the relay (the admin's replays too).
SQLite (the embedded `make run`) has no notifications; its relay polls.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION messaging_outbox_wake_relay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shop_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER messaging_outbox_wake_relay
    AFTER INSERT ON messaging_outboxmessage
    FOR EACH STATEMENT EXECUTE FUNCTION messaging_outbox_wake_relay();
"""
DROP = """
DROP TRIGGER IF EXISTS messaging_outbox_wake_relay ON messaging_outboxmessage;
DROP FUNCTION IF EXISTS messaging_outbox_wake_relay();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
