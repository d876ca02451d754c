"""Lead counts from maintained counters (issue 16)."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [('models', '0020_list_indexes')]

    initial = False

    operations: list = []
