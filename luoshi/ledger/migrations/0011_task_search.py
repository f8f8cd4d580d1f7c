# Written by hand: the search index of luoshi/ledger/search.py (read its docstring first).
#
# SQLite: a contentless FTS5 trigram table over lower(title), lower(content), lower(notes), each
# followed by two chr(1) pads, kept by triggers so that every write path (services, the
# importer's bulk_create / bulk_update, queryset.update, deletes) keeps it current; and an
# fts5vocab table over it for queries of 1-2 characters.
# NOTE: Django rebuilds a SQLite table for most AlterField / RemoveField operations and the
# rebuild drops its triggers: a later migration that does so to ledger_task must create the three
# triggers below again (test_search_index checks they exist after all migrations).
#
# PostgreSQL: a pg_trgm GIN index on upper(title || chr(1) || content || chr(1) || notes) for 3+
# characters (skipped, like consolidation's, where the extension cannot be created: the search
# then still answers, unindexed), and a GIN index on the bigrams of the same
# (ledger_task_bigrams) for 1-2 characters.
#
# Both: an index on the No., which the search ORs with the text condition.

from django.db import DatabaseError, migrations, transaction

SQLITE_ROW = "lower({r}.title) || char(1, 1), lower({r}.content) || char(1, 1), lower({r}.notes) || char(1, 1)"
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE ledger_task_search USING fts5("
    "title, content, notes, content='', tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE ledger_task_search_terms USING fts5vocab(ledger_task_search, 'row')",
    "INSERT INTO ledger_task_search(rowid, title, content, notes)"
    f" SELECT id, {SQLITE_ROW.format(r='ledger_task')} FROM ledger_task",
    "CREATE TRIGGER ledger_task_search_ai AFTER INSERT ON ledger_task BEGIN"
    " INSERT INTO ledger_task_search(rowid, title, content, notes)"
    f" VALUES (new.id, {SQLITE_ROW.format(r='new')}); END",
    # A contentless table forgets a row only when told the values it indexed.
    "CREATE TRIGGER ledger_task_search_ad AFTER DELETE ON ledger_task BEGIN"
    " INSERT INTO ledger_task_search(ledger_task_search, rowid, title, content, notes)"
    f" VALUES ('delete', old.id, {SQLITE_ROW.format(r='old')}); END",
    # Most saves change neither text (status, progress, lights): they leave the index alone.
    "CREATE TRIGGER ledger_task_search_au AFTER UPDATE OF id, title, content, notes ON ledger_task"
    " WHEN old.id IS NOT new.id OR old.title IS NOT new.title"
    " OR old.content IS NOT new.content OR old.notes IS NOT new.notes BEGIN"
    " INSERT INTO ledger_task_search(ledger_task_search, rowid, title, content, notes)"
    f" VALUES ('delete', old.id, {SQLITE_ROW.format(r='old')});"
    " INSERT INTO ledger_task_search(rowid, title, content, notes)"
    f" VALUES (new.id, {SQLITE_ROW.format(r='new')}); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_task_search_au",
    "DROP TRIGGER IF EXISTS ledger_task_search_ad",
    "DROP TRIGGER IF EXISTS ledger_task_search_ai",
    "DROP TABLE IF EXISTS ledger_task_search_terms",
    "DROP TABLE IF EXISTS ledger_task_search",
]

PG_TEXT = "upper(title || chr(1) || content || chr(1) || notes)"
PG_FORWARD = [
    # The text's 2-character substrings, the last character paired with a pad, as a tsvector:
    # a 2-character query is one of its lexemes, and each occurrence of a 1-character query
    # begins one (a prefix query). array_to_tsvector takes the lexemes as they are, no parser.
    # Bigrams alone, not single characters too: half the keys, half the cost of each write.
    # plpgsql: five times faster than the same in SQL.
    """CREATE FUNCTION ledger_task_bigrams(t text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    DECLARE
      c text[] := string_to_array(t || chr(1), NULL);
      g text[] := '{}';
    BEGIN
      FOR i IN 1 .. cardinality(c) - 1 LOOP
        g := array_append(g, c[i] || c[i + 1]);
      END LOOP;
      RETURN array_to_tsvector(g);
    END
    $$""",
    # The tsquery for q (1-2 characters): q quoted as one lexeme, a prefix when 1 character.
    r"""CREATE FUNCTION ledger_task_bigram_query(q text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT ('''' || replace(replace(q, '\', '\\'), '''', '''''') || ''''
              || CASE WHEN char_length(q) = 1 THEN ':*' ELSE '' END)::tsquery
    $$""",
    "CREATE INDEX ledger_task_bigram_idx ON ledger_task"
    f" USING gin (ledger_task_bigrams({PG_TEXT}))",
]
PG_TRGM = f"CREATE INDEX ledger_task_trgm_idx ON ledger_task USING gin (({PG_TEXT}) gin_trgm_ops)"
PG_REVERSE = [
    "DROP INDEX IF EXISTS ledger_task_trgm_idx",
    "DROP INDEX IF EXISTS ledger_task_bigram_idx",
    "DROP FUNCTION IF EXISTS ledger_task_bigram_query(text)",
    "DROP FUNCTION IF EXISTS ledger_task_bigrams(text)",
]
NO_INDEX = "CREATE INDEX ledger_task_no_idx ON ledger_task (no)"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                schema_editor.execute(PG_TRGM)
        except DatabaseError:
            pass
    schema_editor.execute(NO_INDEX)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in PG_REVERSE:
            schema_editor.execute(sql)
    schema_editor.execute("DROP INDEX IF EXISTS ledger_task_no_idx")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0010_export_job"),
    ]

    operations = [
        migrations.RunPython(forward, reverse),
    ]
