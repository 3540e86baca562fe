"""Schema versions: each backend lists its migrations; an archive is brought up to date when opened."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

from gavel.storage.archive.database import Database
from gavel.storage.archive.model import SchemaTooNewError

Migration = tuple[int, tuple[str, ...]]
"""A schema version and the statements that bring the previous version to it."""


class Migrating(Database):
    """Creating and upgrading the schema."""

    #: The schema migrations of this backend, oldest first; the last one's number is the current version.
    migrations: Sequence[Migration] = ()

    @abstractmethod
    def _schema_version(self) -> int:
        """The stored schema version (0 for an empty database)."""

    @abstractmethod
    def _lock_schema(self) -> None:
        """Inside a transaction: keep other processes from migrating at the same time."""

    @property
    def schema_version(self) -> int:
        """The schema version this code writes (the database's, once opened)."""
        return self.migrations[-1][0]

    def _migrate(self) -> None:
        """Bring the schema up to date; refuse (changing nothing) a database newer than this code."""
        with self._connection(write=True):
            self._migrate_on_writer()

    def _migrate_on_writer(self) -> None:
        known = self.schema_version
        found = self._schema_version()
        if found > known:
            raise SchemaTooNewError(self.url, found, known)
        if found == known:
            return
        with self._transaction():
            self._lock_schema()
            found = self._schema_version()  # another process may have migrated meanwhile
            if found > known:
                raise SchemaTooNewError(self.url, found, known)
            for version, statements in self.migrations:
                if version <= found:
                    continue
                for statement in statements:
                    self._run(statement)
                if version == 1:
                    self._run("INSERT INTO gavel_schema (version) VALUES (?)", (version,))
                else:
                    self._run("UPDATE gavel_schema SET version = ?", (version,))
