"""A broad name search on the NEW tab that reads only the matching NEW leads (issue 16).

"müller" matches about 10,000 of a million contacts; the NEW tab's page and its count found
them through 0019's trigram indexes and then read every lead of them to keep the NEW ones
(130 ms at 1M leads, of which the contacts alone were 50-65 ms). Here the lead carries its
contact's searched text, so a trigram index over the NEW leads finds the matching NEW leads
directly (about 10 ms for page and count).

PostgreSQL only (SQLite keeps 0019's FTS5 table; no model declares the column, so no query but
the search's reads it):

- `leads.search_text`: the contact's first name, last name, company and email key, joined by a
  line feed (no search word holds one: words are split at white space), NULL as ''. The search
  compares `UPPER(CAST(search_text AS VARCHAR)) LIKE UPPER('%word%')`, as 0019 compares each
  column; PostgreSQL's UPPER maps character by character, so a word is in the joined text
  exactly when it is in one of the columns.
- Kept by triggers in the writing statement, so a search in the same transaction sees it:
  a lead inserted or moved to another contact takes its contact's text (reading the contact
  `FOR SHARE`: a concurrent change of the contact waits for the lead's transaction, or the lead
  waits and reads the changed contact; without it, a lead inserted while its contact is renamed
  in another transaction would keep the old name); a contact whose searched columns change
  (a correction, an erasure, which blanks them) rewrites the text of its leads.
- `leads_new_search`: a GIN trigram index on that expression over the NEW leads only, spelled
  as `db.lead_status.status_condition` writes NEW. Assigning or closing a lead inserts nothing
  into it (a partial index takes only rows meeting its predicate), so `assignLeads` pays no GIN
  writes; a lead created NEW (intake, import) does.
- Statistics of the expression (`leads_search_text`), so that the planner sees how many leads
  a word matches: few, it reads them through the index; many, it walks the NEW tab's order.

Applying it rewrites every lead once (the fill, 0006's and 0021's update triggers held off: it
changes nothing they count), all in the migration's transaction: writers of `contacts` and every
reader and writer of `leads` wait until it commits (ADD COLUMN locks the table). For a million
leads on the 2-core machine: 1 min 46 s quiet, 6 minutes busy (bench/README.md); plan it as
downtime. The table then holds the old
row versions until VACUUM reclaims them (VACUUM FULL returns the space).

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# The columns the search compares (services/lead_search.py TEXT_COLUMNS), in order.
TEXT_COLUMNS = ("first_name", "last_name", "company", "email_key")
NEW_CONDITION = "assignee_id IS NULL AND closed_at IS NULL"
# 0006's rollups and 0021's counters: the fill changes no column they read.
FILL_SKIPS = ("report_rollups_update", "lead_counts_update")


def _text_of(row: str) -> str:
    """A contact row's search text (NULL columns as '')."""
    return " || E'\\n' || ".join(f"COALESCE({row}.{column}, '')" for column in TEXT_COLUMNS)


_CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in TEXT_COLUMNS)

STATEMENTS = (
    "ALTER TABLE leads ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    # A lead inserted or moved to another contact.
    "CREATE FUNCTION leads_search_text() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"SELECT {_text_of('c')} INTO NEW.search_text FROM contacts AS c "
    "WHERE c.id = NEW.contact_id FOR SHARE; "
    "NEW.search_text := COALESCE(NEW.search_text, ''); RETURN NEW; END $$",
    "CREATE TRIGGER leads_search_text_insert BEFORE INSERT ON leads "
    "FOR EACH ROW EXECUTE FUNCTION leads_search_text()",
    "CREATE TRIGGER leads_search_text_update BEFORE UPDATE OF contact_id ON leads "
    "FOR EACH ROW WHEN (OLD.contact_id IS DISTINCT FROM NEW.contact_id) "
    "EXECUTE FUNCTION leads_search_text()",
    # A contact's searched columns changed: its leads follow. Their rows are locked in id order
    # first, the order assignment locks leads in (db.sql.write_recorded_assignments): the
    # UPDATE alone would lock them in the order it finds them on disk, and a correction could
    # deadlock with an assignment of the same contact's leads.
    "CREATE FUNCTION contacts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"DECLARE text_now text := {_text_of('NEW')}; BEGIN "
    "PERFORM 1 FROM leads WHERE contact_id = NEW.id AND search_text <> text_now "
    "ORDER BY id FOR NO KEY UPDATE; "
    "UPDATE leads SET search_text = text_now "
    "WHERE contact_id = NEW.id AND search_text <> text_now; RETURN NULL; END $$",
    "CREATE TRIGGER contacts_search_text AFTER UPDATE OF "
    f"{', '.join(TEXT_COLUMNS)} ON contacts FOR EACH ROW WHEN ({_CHANGED}) "
    "EXECUTE FUNCTION contacts_search_text()",
)

FILL = (
    f"UPDATE leads SET search_text = {_text_of('c')} FROM contacts AS c "
    "WHERE c.id = leads.contact_id"
)
SEARCHED = "UPPER(CAST(search_text AS VARCHAR))"
INDEX = (
    f"CREATE INDEX leads_new_search ON leads USING gin (({SEARCHED}) gin_trgm_ops) "
    f"WHERE {NEW_CONDITION}"
)
# How many leads a word matches: without statistics of the compared expression (a partial
# index's expression gets none the planner reads) it guesses 0.01 % for any LIKE, so for a
# broad word it reads every match and joins each one's contact before sorting (90-120 ms for
# "müller" at 1M leads on the busy machine) instead of walking the NEW tab's index until the
# page is full (8-17 ms). A histogram of 500 values sees a word that 1 % of the leads hold;
# ANALYZE then samples 150,000 leads instead of 30,000 (about 6 s at 1M leads).
STATISTICS = (
    f"CREATE STATISTICS leads_search_text ON ({SEARCHED}) FROM leads",
    "ALTER STATISTICS leads_search_text SET STATISTICS 500",
)


async def add_search_text(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    # Writers wait until the commit: no lead or contact changes between the fill and the
    # triggers (other instances keep running during a rolling deploy). Contacts first, the
    # order the app writes them in (an erasure: the contact, then its leads), or an erasure in
    # flight on another instance and this lock would wait for each other.
    await client.execute_script("LOCK TABLE contacts, leads IN SHARE ROW EXCLUSIVE MODE")
    for statement in STATEMENTS:
        await client.execute_script(statement)
    for trigger in FILL_SKIPS:
        await client.execute_script(f"ALTER TABLE leads DISABLE TRIGGER {trigger}")
    await client.execute_script(FILL)
    for trigger in FILL_SKIPS:
        await client.execute_script(f"ALTER TABLE leads ENABLE TRIGGER {trigger}")
    # After the fill: building the index once is faster than growing it row by row.
    await client.execute_script(INDEX)
    # Gathered by the next ANALYZE: autovacuum's, soon after the fill changed every lead.
    for statement in STATISTICS:
        await client.execute_script(statement)


async def drop_search_text(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script("DROP STATISTICS IF EXISTS leads_search_text")
    await client.execute_script("DROP TRIGGER IF EXISTS contacts_search_text ON contacts")
    await client.execute_script("DROP FUNCTION IF EXISTS contacts_search_text()")
    for trigger in ("leads_search_text_insert", "leads_search_text_update"):
        await client.execute_script(f"DROP TRIGGER IF EXISTS {trigger} ON leads")
    await client.execute_script("DROP FUNCTION IF EXISTS leads_search_text()")
    await client.execute_script("ALTER TABLE leads DROP COLUMN IF EXISTS search_text")


class Migration(migrations.Migration):
    dependencies = [("models", "0022_idempotency_keys")]

    initial = False

    operations = [ops.RunPython(add_search_text, drop_search_text)]
