"""Two SQLite archives of the same tree compared: every table's rows (``meetings.stored_at`` left out: the time of
storing), every full-text entry (token, row, column, position, through ``fts5vocab``) and the hits of a few searches.
Exits 1 and names what differs, if anything does.

    .venv/bin/python benchmarks/compare_archives.py A.db B.db
    .venv/bin/python benchmarks/compare_archives.py --import TREE A.db     # first import TREE into A.db (--jobs 0)

Both archives must have been imported with ``--jobs 0`` (or as here), so that their meetings have the same ids.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from gavel.app.importer import import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import SearchQuery, open_archive

SEARCHES = ("zebra", "kubernetes backup", '"mailing list"', "relea*", "李雷", "café", "user1")
_LEFT_OUT = {"meetings": "stored_at"}


def tables(conn: sqlite3.Connection) -> list[str]:
    """The archive's own tables (not FTS5's shadow tables, compared through their entries instead)."""
    names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    shadow = tuple(f"{name}_" for name in names if name.endswith("_fts"))
    return [name for name in names if not name.startswith(shadow) and not name.endswith("_fts")]


def rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    columns = [row[1] for row in conn.execute(f"PRAGMA table_xinfo({table})")]  # (generated columns too)
    kept = [column for column in columns if column != _LEFT_OUT.get(table)]
    listed = ", ".join(kept)
    return conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}").fetchall()


def entries(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_entries USING fts5vocab(main, {table}, 'instance')")
    return conn.execute(f"SELECT * FROM temp.{table}_entries ORDER BY 1, 2, 3, 4").fetchall()


def differences(first: Path, second: Path) -> list[str]:
    found: list[str] = []
    one, two = sqlite3.connect(first), sqlite3.connect(second)
    if tables(one) != tables(two):
        found.append(f"tables: {tables(one)} against {tables(two)}")
    for table in sorted(set(tables(one)) & set(tables(two))):  # (the others are reported above)
        a, b = rows(one, table), rows(two, table)
        if a != b:
            found.append(f"{table}: {len(a)} rows against {len(b)}, {len(set(a) ^ set(b))} differ")
    for table in ("log_lines_fts", "items_fts"):
        a, b = entries(one, table), entries(two, table)
        if a != b:
            found.append(f"{table}: {len(a)} entries against {len(b)}")
    with open_archive(f"sqlite://{first}") as archive_one, open_archive(f"sqlite://{second}") as archive_two:
        for text in SEARCHES:
            a_hits, b_hits = archive_one.search(SearchQuery(text)), archive_two.search(SearchQuery(text))
            if (a_hits.total, a_hits.hits) != (b_hits.total, b_hits.hits):
                found.append(f"search {text!r}: {a_hits.total} hits against {b_hits.total}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import", dest="tree", type=Path, help="import this tree into the one archive given")
    parser.add_argument("archives", nargs="+", type=Path)
    args = parser.parse_args()
    if args.tree is not None:
        with open_archive(f"sqlite://{args.archives[0]}") as archive:
            report = import_logs(archive, find_logs([args.tree], MEETBOT_LOGS), jobs=0)
        print(f"{args.archives[0]}: {report.meetings} meetings, {report.lines:,} lines")
        return
    if len(args.archives) != 2:
        parser.error("two archives to compare (or one with --import)")
    found = differences(*args.archives)
    for line in found:
        print(line)
    print("the same" if not found else f"{len(found)} differences")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
