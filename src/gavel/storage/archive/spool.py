"""Log lines on their way to the archive, in bounded memory.

A meeting's minutes are known only at its end, but the archive stores the minutes with the lines.
So while a meeting is parsed its lines go to a :class:`LineSpool`: compact row tuples, marshalled in
chunks; past ``memory_limit`` bytes the chunks go to a temporary file. A spool is picklable (it
crosses from an import worker process to the single writer) and is read back chunk by chunk.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from gavel.core.effects import LineKind, LogLine
from gavel.core.events import Row
from gavel.storage.archive.record import LineRelation
from gavel.storage.archive.tokens import MAX_LENGTH, ODD_MARK, ChunkTokens, length, tokens

LineRow = tuple[int, int, str, str, str, str, int]
"""A log line as stored: ``(number, time in microseconds since the epoch (UTC), kind, nick, text, tokens, length)``,
``tokens`` and ``length`` being the text's index tokens joined by spaces and their number (:mod:`tokens`): made
here, so that ``gavel import``'s parsing processes tokenize, not its one writer."""

CHUNK_ROWS = 4096
_KIND_VALUES = {kind: kind.value for kind in LineKind}  # (an enum member's value is slow to read once per line)
MEMORY_LIMIT = 4 << 20
_LENGTH = 8
_CHUNK_TOKENS = ChunkTokens()  # one per process: an import worker's files share their words


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (a naive time is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1_000_000)


def from_micros(value: int) -> datetime:
    seconds, micro = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)


def clean(text: str) -> str:
    """``text`` fit for every backend: NUL (which PostgreSQL cannot store) becomes U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class LineSpool:
    """An append-only store of one meeting's log lines: in memory up to ``memory_limit``, then a temporary file.

    ``add`` lines, ``close`` once, then iterate ``batches()`` (as often as needed) and ``discard()``.
    """

    def __init__(self, memory_limit: int = MEMORY_LIMIT, directory: str | None = None) -> None:
        self.memory_limit = memory_limit
        self.directory = directory
        self._count = 0
        self._rows: list[LineRow] = []
        self._chunks: list[bytes] = []
        self._in_memory = 0
        self._path: str | None = None
        self._file: BinaryIO | None = None
        self._last_time: datetime | None = None
        self._last_micros = 0
        self._replaced: dict[int, LineRow] = {}  # lines added already that read otherwise now (redactions)
        self._relations: list[LineRelation] = []  # the lines added that relate to others (few: Matrix only)
        self.words: set[str] = set()  # every token of the lines (SQLite lists them for prefix searches)

    def replace(self, line: LogLine) -> None:
        """Line ``line.number``, added already, reads as ``line`` (``batches`` gives it so)."""
        nick, text = clean(line.nick), clean(line.text)
        found = tokens(text)
        self.words.update(found)
        row = (line.number, micros(line.time), line.kind.value, nick, text, " ".join(found), length(found))
        self._replaced[line.number] = row

    def add(self, line: LogLine) -> None:
        self.add_rows(line.number, [line.row()])
        if line.relation is not None:
            self._relations.append(LineRelation(line.number, line.relation.value, line.refers_to))

    def relations(self) -> tuple[LineRelation, ...]:
        """The lines added that relate to an earlier line (replies, threads, edits, redactions), in order."""
        return tuple(self._relations)

    def add_rows(self, first: int, lines: Iterable[Row]) -> None:
        """Add consecutive lines, the first numbered ``first``."""
        rows = self._rows
        append = rows.append
        chunk_tokens, joined = _CHUNK_TOKENS.__getitem__, chain.from_iterable
        add_words = self.words.update
        last_time, last_micros = self._last_time, self._last_micros
        last_kind, last_value = None, ""  # (an enum member hashes in Python: look one up only when it changes)
        for number, (kind, moment, _, nick, text) in enumerate(lines, first):
            if moment is not last_time:  # parsers reuse one datetime per timestamp
                # (micros(moment), inlined for an aware time: this runs for most lines)
                last_time = moment
                last_micros = micros(moment) if moment.tzinfo is None else round(moment.timestamp() * 1_000_000)
            if kind is not last_kind:
                last_kind, last_value = kind, _KIND_VALUES[kind]
            if "\x00" in text or "\x00" in nick:
                nick, text = clean(nick), clean(text)
            # (_CHUNK_TOKENS(text), inlined: a call of it costs more than its work for a line beyond ASCII)
            if text.isascii() or ODD_MARK in text:
                found = tokens(text)
            else:
                found = list(joined(map(chunk_tokens, text.split())))
            add_words(found)
            # (min(len(found), MAX_LENGTH) is tokens.length, inlined: this runs once per line)
            append((number, last_micros, last_value, nick, text, " ".join(found), min(len(found), MAX_LENGTH)))
        self._last_time, self._last_micros = last_time, last_micros
        if len(rows) >= CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        chunk = marshal.dumps(self._rows)
        self._count += len(self._rows)
        self._rows = []
        if self._file is None and self._in_memory + len(chunk) > self.memory_limit:
            handle, self._path = tempfile.mkstemp(prefix="gavel-spool-", suffix=".bin", dir=self.directory)
            self._file = os.fdopen(handle, "wb")
            for held in self._chunks:
                self._write(held)
            self._chunks = []
            self._in_memory = 0
        if self._file is not None:
            self._write(chunk)
        else:
            self._chunks.append(chunk)
            self._in_memory += len(chunk)

    def _write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(len(chunk).to_bytes(_LENGTH, "little"))
        self._file.write(chunk)

    def close(self) -> None:
        """No more lines: keep what is buffered (the spool can now be pickled and read)."""
        self._flush()
        if self._file is not None:
            self._file.close()
            self._file = None
        self._last_time = None

    @property
    def count(self) -> int:
        """Lines added so far."""
        return self._count + len(self._rows)

    @property
    def spilled(self) -> bool:
        """True when the lines went to a temporary file."""
        return self._path is not None

    def batches(self) -> Iterator[list[LineRow]]:
        """The lines, in order, one chunk (at most ``CHUNK_ROWS`` rows) at a time."""
        if self._file is not None or self._rows:
            raise RuntimeError("close() the spool before reading it")
        for rows in self._stored():
            if self._replaced:
                rows = [self._replaced.get(row[0], row) for row in rows]
            yield rows

    def _stored(self) -> Iterator[list[LineRow]]:
        if self._path is None:
            for chunk in self._chunks:
                yield marshal.loads(chunk)  # noqa: S302 -- our own bytes, written just above
            return
        with open(self._path, "rb") as stream:
            while header := stream.read(_LENGTH):
                yield marshal.loads(stream.read(int.from_bytes(header, "little")))  # noqa: S302

    def discard(self) -> None:
        """Free the lines (removes the temporary file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            Path(self._path).unlink(missing_ok=True)
            self._path = None
        self._chunks = []
        self._rows = []
        self._relations = []
        self._count = 0
        self.words = set()

    def __getstate__(self) -> dict[str, Any]:
        if self._file is not None or self._rows:
            raise RuntimeError("close() the spool before sending it elsewhere")
        return {
            "memory_limit": self.memory_limit,
            "directory": self.directory,
            "count": self._count,
            "chunks": self._chunks,
            "path": self._path,
            "replaced": self._replaced,
            "relations": self._relations,
            "words": self.words,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.memory_limit = state["memory_limit"]
        self.directory = state["directory"]
        self._count = state["count"]
        self._rows = []
        self._chunks = state["chunks"]
        self._replaced = state.get("replaced", {})
        self._relations = state.get("relations", [])
        self.words = state.get("words", set())
        self._in_memory = sum(len(chunk) for chunk in self._chunks)
        self._path = state["path"]
        self._file = None
        self._last_time = None
        self._last_micros = 0
