"""Search that scales (issue 16): filled in by the search work."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [('models', '0018_data_protection')]

    initial = False

    operations: list = []
