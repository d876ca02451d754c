"""Idempotency keys for mutations (issue 16)."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [('models', '0021_lead_counts')]

    initial = False

    operations: list = []
