"""The PostgreSQL archive's schema: its migrations (:data:`MIGRATIONS`), the log lines' secondary indexes a bulk load
builds again (:data:`LINE_INDEXES`), and the tables of the postings of log lines (see ``postgres.py``)."""

from __future__ import annotations

from gavel.storage.archive.migrations import Migration
from gavel.storage.archive.pg_postings import ANY_LENGTH, BLOCK_BITS, SPLIT_LINES, key_sql
from gavel.storage.archive.pg_walk import NICK_MARK

_TSV = "tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED"
LINE_INDEXES = {
    "log_lines_search": "CREATE INDEX IF NOT EXISTS log_lines_search ON log_lines USING gin (tsv)",
    "log_lines_by_id": "CREATE UNIQUE INDEX IF NOT EXISTS log_lines_by_id ON log_lines (id)",
    "log_lines_by_length": "CREATE INDEX IF NOT EXISTS log_lines_by_length ON log_lines (text_length, id DESC)",
    "log_lines_by_nick": "CREATE INDEX IF NOT EXISTS log_lines_by_nick ON log_lines (lower(nick), id DESC)",
    "line_posting_lists_rank": "CREATE INDEX IF NOT EXISTS line_posting_lists_rank "
    "ON line_posting_lists (token, text_length, block DESC, part DESC)",
}
"""The log lines' secondary indexes (made by migrations 3, 7 and 11): a bulk load builds them after the lines are
in. Log lines are ranked by length, then id (the order they were stored in), newest first."""
_POSTINGS = """CREATE TABLE line_postings (
    token text COLLATE "C" NOT NULL,
    text_length smallint NOT NULL,
    meeting_id bigint NOT NULL,
    number bigint NOT NULL
) WITH (autovacuum_vacuum_insert_threshold = 100000, autovacuum_vacuum_insert_scale_factor = 0)"""
"""Migration 10's postings, one row per distinct token of a log line (one for its nick, :data:`NICK_MARK`, and one
per pair of adjacent tokens, see :data:`FILL_POSTINGS`); migration 11 groups them into lists
(:data:`_POSTING_LISTS`) and drops the table."""
FILL_POSTINGS = (
    "INSERT INTO line_postings (token, text_length, meeting_id, number) "  # noqa: S608 -- constants
    "SELECT t.token, l.text_length, l.meeting_id, l.number FROM log_lines l, "
    "unnest(tsvector_to_array(l.tsv)) AS t (token){where} "
    f"UNION ALL SELECT '{NICK_MARK}' || lower(l.nick), l.text_length, l.meeting_id, l.number "
    "FROM log_lines l{where} "
    "UNION ALL SELECT p.pair, l.text_length, l.meeting_id, l.number FROM log_lines l, LATERAL (SELECT DISTINCT "
    "a.lexeme || ' ' || b.lexeme AS pair FROM unnest(l.tsv) a, unnest(a.positions) AS ap (at), unnest(l.tsv) b, "
    "unnest(b.positions) AS bp (at) WHERE bp.at = ap.at + 1) p{where}"
)
"""The postings of log lines from their ``tsv`` (the tokens, written by gavel), their nick, and each pair of tokens
next to each other (by the ``tsv``'s positions, as a phrase is matched: the two tokens with a space between, which
no token holds)."""
_POSTING_LISTS = """CREATE TABLE line_posting_lists (
    token text COLLATE "C" NOT NULL,
    text_length smallint NOT NULL,
    block bigint NOT NULL,
    part bigint NOT NULL,
    offsets integer[] NOT NULL
) WITH (autovacuum_vacuum_insert_threshold = 20000, autovacuum_vacuum_insert_scale_factor = 0)"""
"""The postings of log lines (migration 11; :mod:`pg_postings`): one row per token, nick (:data:`NICK_MARK`) or pair
of adjacent tokens, block of line ids, part of the block and text length (:data:`pg_postings.ANY_LENGTH` for a token
with few lines there), with the keys of its lines (length and offset in the block) in order. Its index in rank order
(``line_posting_lists_rank``) walks a word's lines by length, block and part; the lines holding two words are the
intersection of their lists of the same (block, part) (:mod:`pg_walk`)."""
_LINE_SPANS = """CREATE TABLE line_spans (
    first_id bigint PRIMARY KEY,
    last_id bigint NOT NULL,
    meeting_id bigint NOT NULL,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL
)"""
"""A row per batch of log lines stored (consecutive ids, one meeting): its meeting and the times of its earliest and
latest lines. A line is live while its span is (a meeting deleted or stored again deletes its spans); the meetings'
scope and the date filters of a search are spans to keep or to check (:meth:`PostgresArchive._masks`)."""
_LINE_BLOCKS = """CREATE TABLE line_blocks (
    block bigint PRIMARY KEY,
    parts integer NOT NULL,
    dead int4multirange NOT NULL DEFAULT '{}'
)"""
"""Each block's number of parts (the batches written since it was last compacted) and its dead lines' offsets (of
spans deleted since): :data:`_COMPACT` merges its parts into one and drops the dead lines. A writer locks a block's
row before it writes lists into it, so two writers never compact the same block at once."""
KEYS_LISTS = (
    "INSERT INTO line_posting_lists (token, text_length, block, part, offsets) "  # noqa: S608
    f"SELECT token, CASE WHEN lines < ? THEN {ANY_LENGTH} ELSE key >> {BLOCK_BITS} END, block, part, "
    "array_agg(key ORDER BY key) FROM (SELECT *, count(*) OVER (PARTITION BY token, block, part) AS lines "
    "FROM ({keys}) k) c GROUP BY token, 2, block, part"
)
"""The lists of rows ``(token, block, part, key)`` (``keys``): split by length where a token has
:data:`pg_postings.SPLIT_LINES` lines in the block or more (the first parameter)."""
POSTINGS_INDEX = "line_posting_lists_rank"

MIGRATIONS: tuple[Migration, ...] = (
    (
        1,
        (
            "CREATE TABLE gavel_schema (version integer NOT NULL)",
            "CREATE TABLE series (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE)",
            """CREATE TABLE meetings (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                series_id bigint NOT NULL REFERENCES series (id),
                channel text NOT NULL,
                network text,
                title text,
                owner text NOT NULL,
                chairs text NOT NULL,
                started_at timestamptz NOT NULL,
                ended_at timestamptz,
                unfinished boolean NOT NULL,
                restricted boolean NOT NULL,
                log_basename text NOT NULL,
                line_count integer NOT NULL,
                stored_at timestamptz NOT NULL,
                UNIQUE (series_id, started_at, channel)
            )""",
            "CREATE INDEX meetings_by_basename ON meetings (series_id, log_basename)",
            "CREATE INDEX meetings_by_start ON meetings (started_at)",
            f"""CREATE TABLE log_lines (
                meeting_id bigint NOT NULL,
                number bigint NOT NULL,
                time timestamptz NOT NULL,
                kind text NOT NULL,
                nick text NOT NULL,
                text text NOT NULL,
                {_TSV},
                PRIMARY KEY (meeting_id, number)
            )""",
            "CREATE INDEX log_lines_search ON log_lines USING gin (tsv)",
            f"""CREATE TABLE items (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                position integer NOT NULL,
                kind text NOT NULL,
                text text NOT NULL,
                nick text NOT NULL,
                time timestamptz NOT NULL,
                line bigint NOT NULL,
                topic text,
                {_TSV},
                UNIQUE (meeting_id, position)
            )""",
            "CREATE INDEX items_search ON items USING gin (tsv)",
            """CREATE TABLE actions (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                item_id bigint NOT NULL UNIQUE REFERENCES items (id),
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
                done_at timestamptz,
                done_in bigint REFERENCES meetings (id) ON DELETE SET NULL
            )""",
            "CREATE INDEX actions_by_meeting ON actions (meeting_id, status)",
            "CREATE INDEX actions_by_done_in ON actions (done_in)",
            """CREATE TABLE action_owners (
                action_id bigint NOT NULL REFERENCES actions (id),
                position integer NOT NULL,
                nick text NOT NULL,
                PRIMARY KEY (action_id, position)
            )""",
            "CREATE INDEX action_owners_by_nick ON action_owners (nick)",
            """CREATE TABLE votes (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                position integer NOT NULL,
                question text NOT NULL,
                options text NOT NULL,
                results text NOT NULL,
                nick text NOT NULL,
                time timestamptz NOT NULL,
                ended_at timestamptz,
                line bigint NOT NULL,
                UNIQUE (meeting_id, position)
            )""",
            """CREATE TABLE people (
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                position integer NOT NULL,
                nick text NOT NULL,
                lines integer NOT NULL,
                PRIMARY KEY (meeting_id, position)
            )""",
        ),
    ),
    (
        2,
        (  # the times of a meeting's first and last lines: a date filter skips the meetings outside it
            "ALTER TABLE meetings ADD COLUMN first_line_at timestamptz, ADD COLUMN last_line_at timestamptz",
            "UPDATE meetings m SET first_line_at = l.first, last_line_at = l.last FROM (SELECT meeting_id, "
            "min(time) AS first, max(time) AS last FROM log_lines GROUP BY meeting_id) l WHERE l.meeting_id = m.id",
        ),
    ),
    (
        3,
        (  # a search with a nick filter walks that nick's lines, newest first (SQLite indexes the nick in FTS5)
            "CREATE INDEX log_lines_by_nick ON log_lines (lower(nick), meeting_id DESC, number DESC)",
        ),
    ),
    (
        4,
        (  # the runtime's id of the meeting (MeetingRecord.meeting_id); NULL for the meetings stored before
            "ALTER TABLE meetings ADD COLUMN runtime_id text",
        ),
    ),
    (
        5,
        (  # agenda, attendance, other nicks, corrections, the nick that started it; NULL/empty before
            "ALTER TABLE meetings ADD COLUMN started_by text, "
            "ADD COLUMN attendance_taken boolean NOT NULL DEFAULT false",
            "ALTER TABLE items ADD COLUMN corrected_from text, ADD COLUMN timebox_minutes integer, "
            "ADD COLUMN minutes_spent double precision",  # a timeboxed topic's minutes and the time it took
            "ALTER TABLE people ADD COLUMN also_known_as text NOT NULL DEFAULT '[]'",
            """CREATE TABLE agenda (
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                number integer NOT NULL,
                title text NOT NULL,
                proposer text NOT NULL,
                status text NOT NULL CHECK (status IN ('open', 'current', 'done', 'skipped')),
                taken_at timestamptz,
                closed_at timestamptz,
                minutes_spent double precision,
                timebox_minutes integer,
                line bigint NOT NULL,
                added_at timestamptz,
                PRIMARY KEY (meeting_id, number)
            )""",
            """CREATE TABLE attendance (
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                status text NOT NULL CHECK (status IN ('present', 'regrets')),
                position integer NOT NULL,
                nick text NOT NULL,
                PRIMARY KEY (meeting_id, status, position)
            )""",
        ),
    ),
    (
        6,
        (  # what the web server's workers share (web_state.py): its signing key, sessions, wrong logins
            "CREATE TABLE web_secrets (name text PRIMARY KEY, value text NOT NULL)",
            "CREATE TABLE web_sessions (key_hash text PRIMARY KEY, expires_at double precision NOT NULL)",
            "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
            "CREATE TABLE web_login_failures (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "client text NOT NULL, failed_at double precision NOT NULL)",
            "CREATE INDEX web_login_failures_by_client ON web_login_failures (client, failed_at)",
            "CREATE INDEX web_login_failures_by_time ON web_login_failures (failed_at)",
        ),
    ),
    (
        7,
        (  # gavel's own tokens (storage/archive/tokens.py, the same as SQLite's), written by gavel, not to_tsvector;
            # each text's length (its number of tokens, the rank order) and an index to read matches in that order
            "ALTER TABLE log_lines ALTER COLUMN tsv DROP EXPRESSION IF EXISTS",
            "ALTER TABLE items ALTER COLUMN tsv DROP EXPRESSION IF EXISTS",
            "ALTER TABLE log_lines ADD COLUMN IF NOT EXISTS text_length smallint",
            "ALTER TABLE items ADD COLUMN IF NOT EXISTS text_length smallint",
            "DROP INDEX IF EXISTS log_lines_search",
            "DROP INDEX IF EXISTS log_lines_by_length",
            lambda archive: archive._tokenize_everything(),
            "CREATE INDEX log_lines_search ON log_lines USING gin (tsv)",
            "CREATE INDEX log_lines_by_length ON log_lines (text_length, meeting_id DESC, number DESC)",
            "CREATE INDEX IF NOT EXISTS items_by_length ON items (text_length, id DESC)",
        ),
    ),
    (
        8,
        (  # a person's page (and the export's person pages) reads people and attendance by nick
            "CREATE INDEX people_by_nick ON people (nick)",
            "CREATE INDEX people_by_other_nicks ON people (also_known_as)",
            "CREATE INDEX attendance_by_nick ON attendance (nick, status)",
        ),
    ),
    (
        9,
        (  # how a Matrix meeting's lines relate to earlier ones (replies, threads, edits, redactions): few rows
            """CREATE TABLE line_relations (
                meeting_id bigint NOT NULL REFERENCES meetings (id),
                number integer NOT NULL,
                relation text NOT NULL,
                refers_to integer,
                PRIMARY KEY (meeting_id, number)
            )""",
        ),
    ),
    (
        10,
        (  # the postings of every log line's tokens, nick and pairs of tokens: searches count and rank them index-only
            _POSTINGS,
            FILL_POSTINGS.format(where=""),
            "CREATE INDEX line_postings_rank ON line_postings (token, text_length, meeting_id DESC, number DESC)",
            # a meeting stored again deletes its postings: they lie together in the table (stored together)
            "CREATE INDEX line_postings_by_meeting ON line_postings USING brin (meeting_id)",
            "ANALYZE line_postings",
        ),
    ),
    (
        11,
        (  # every log line an id (the order stored in: the rank among lines of the same length), and the postings
            # grouped into lists of offsets per (token, length, block of ids, part), made by the writer
            lambda archive: archive._create_set_functions(),
            "CREATE SEQUENCE log_line_ids",
            "ALTER TABLE log_lines ADD id bigint",
            "UPDATE log_lines l SET id = o.id FROM (SELECT meeting_id, number, "  # (in the order ranked before)
            "row_number() OVER (ORDER BY meeting_id, number) AS id FROM log_lines) o "
            "WHERE o.meeting_id = l.meeting_id AND o.number = l.number",
            "SELECT setval('log_line_ids', (SELECT max(id) FROM log_lines)) WHERE EXISTS (SELECT 1 FROM log_lines)",
            "ALTER TABLE log_lines ALTER COLUMN id SET NOT NULL",
            "DROP INDEX IF EXISTS log_lines_by_length",  # (a bulk load killed under migration 10 left them dropped)
            "DROP INDEX IF EXISTS log_lines_by_nick",
            _LINE_SPANS,
            "INSERT INTO line_spans (first_id, last_id, meeting_id, first_at, last_at) "
            "SELECT min(id), max(id), meeting_id, min(time), max(time) FROM log_lines GROUP BY meeting_id",
            "CREATE INDEX line_spans_by_meeting ON line_spans (meeting_id)",
            _POSTING_LISTS,
            KEYS_LISTS.replace("?", str(SPLIT_LINES), 1).format(
                keys=f"SELECT p.token, l.id >> {BLOCK_BITS} AS block, "  # noqa: S608
                f"l.id >> {BLOCK_BITS} << {BLOCK_BITS} AS part, "
                f"{key_sql('p.text_length', 'l.id')} AS key "
                "FROM line_postings p JOIN log_lines l ON l.meeting_id = p.meeting_id AND l.number = p.number"
            ),
            _LINE_BLOCKS,
            f"INSERT INTO line_blocks (block, parts) SELECT DISTINCT id >> {BLOCK_BITS}, 1 FROM log_lines",  # noqa: S608
            "DROP TABLE line_postings",
            *(LINE_INDEXES[name] for name in ("log_lines_by_id", "log_lines_by_length", "log_lines_by_nick")),
            LINE_INDEXES[POSTINGS_INDEX],
            "CREATE INDEX line_posting_lists_by_block ON line_posting_lists USING brin (block)",
            "ANALYZE log_lines",
            "ANALYZE line_posting_lists",
            "ANALYZE line_spans",
        ),
    ),
)
