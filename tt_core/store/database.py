"""The connection to one DuckDB file: cursors, transactions, the audit log, opening errors.

A :class:`Database` owns one DuckDB connection. Every read takes its own cursor (DuckDB's rule of
one cursor per thread), fetches its results completely and closes it, so one database object can
be shared by the threads of a process. Writes are serialised by a lock per file and each user
action runs in one :meth:`Database.transaction`: a failure leaves the database exactly as it was.
Transactions nest on a thread: a write called inside another joins it (and reads inside it see
its uncommitted rows), so a service can make several repository calls one unit.

DuckDB lets one process hold a file read-write; any other process then fails to open it. Opening
turns that into a :class:`~tt_core.errors.TimetableError` that says which process holds it and
what to do. Dask workers and app sessions send their results to the one process that writes (the
job runner, :mod:`tt_core.jobs.runner`).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..errors import TimetableError
from . import schema
from .sql import audit_row, fetch_rows, loads

if TYPE_CHECKING:
    import pandas as pd

_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


class StoreStateError(RuntimeError):
    """The program used the store wrongly (e.g. after closing it): a bug, not the user's input."""


class DatabaseLockedError(TimetableError):
    """Another process holds the database file (DuckDB lets one process have it at a time).

    ``holder`` names that process as DuckDB reports it (program and PID), ``pid`` is its PID when
    known. A caller that can wait (``tt jobs …`` while a job runner starts) tells it apart from
    the other reasons a file cannot be opened.
    """

    def __init__(self, message: str, holder: str, pid: int | None):
        super().__init__(message)
        self.holder = holder
        self.pid = pid


def default_db_path() -> Path:
    """``$TT_DB`` when set, else ``data/timetable.duckdb``."""
    return Path(os.environ.get("TT_DB") or "data/timetable.duckdb")


def _writable(path: Path) -> str | None:
    """Why ``path`` (an existing database file) cannot be written, or None."""
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(path, os.W_OK):
        return f"the file {path} is read-only"
    # DuckDB writes a journal (.wal) beside the file: the folder must be writable too
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is read-only (DuckDB writes its journal {path.name}.wal there)"
    return None


class Database:
    """One DuckDB database file (or ``":memory:"``), migrated to the current schema on opening.

    Parameters
    ----------
    path : str or os.PathLike
        The database file (created with the current schema when missing) or ``":memory:"``.
    read_only : bool
        Open without the write lock; the schema must be current (open it read-write once to upgrade).

    Raises
    ------
    DatabaseLockedError
        The file is held by another process (a :class:`TimetableError`).
    TimetableError
        The file is not a DuckDB database, is not a timetable studio
        database, was written by a newer version, cannot be written (read-write), or (read-only)
        does not exist or needs upgrading.
    """

    def __init__(self, path: str | os.PathLike = ":memory:", *, read_only: bool = False):
        self.path = str(path)
        self.read_only = bool(read_only)
        memory = self.path == ":memory:"
        if not memory:
            self._check_path(Path(self.path))
        try:
            self._con = duckdb.connect(self.path, read_only=self.read_only)
        except duckdb.IOException as exc:
            raise self._open_error(exc) from None
        except duckdb.ConnectionException:
            raise TimetableError(f"{self.path} is already open in this process "
                                 f"{'read-write' if read_only else 'read-only'}; use that store or close it "
                                 "first") from None
        key = f"memory:{id(self)}" if memory else os.path.realpath(self.path)
        with _WRITE_LOCKS_GUARD:
            self._lock = _WRITE_LOCKS.setdefault(key, threading.RLock())
        self._cursor_lock = threading.Lock()
        self._tx = threading.local()
        self._closed = False
        try:
            schema.migrate(self)
        except BaseException:
            self._con.close()
            raise

    def _check_path(self, p: Path) -> None:
        if self.read_only and not p.exists():
            raise TimetableError(f"no database at {p}; create one with `tt import SOURCE --db {p}`")
        if p.exists() and p.is_dir():
            raise TimetableError(f"{p} is a folder, not a database file; "
                                 f"give a file name such as {p / 'timetable.duckdb'}")
        if not self.read_only and not p.parent.is_dir():
            raise TimetableError(f"cannot create {p}: the folder {p.parent} does not exist; create it first")
        if not self.read_only:
            why = _writable(p) if p.exists() else (
                None if os.access(p.parent, os.W_OK) else f"the folder {p.parent} is read-only")
            if why:
                raise TimetableError(f"cannot change {p}: {why}; copy the database to a folder you may write "
                                     "to (and pass --db), or use a command that only reads it")

    def _open_error(self, exc: duckdb.IOException) -> TimetableError:
        text = str(exc)
        if "lock" in text.lower():
            m = re.search(r"Conflicting lock is held in (.*?\(PID (\d+)\))", text)
            holder = m.group(1).strip() if m else "another program"
            return DatabaseLockedError(f"{self.path} is open in another process ({holder}); close it, or send "
                                       "the work to the job runner (`tt jobs ...`), which owns the database while "
                                       "it runs", holder, int(m.group(2)) if m else None)
        if "not a valid DuckDB database" in text:
            return TimetableError(f"{self.path} is not a DuckDB database file; give the path of a .duckdb file "
                                  "(or a new file name to create one)")
        if "permission denied" in text.lower() or "not permitted" in text.lower():
            return TimetableError(f"cannot open {self.path}: permission denied; check the file's and its folder's "
                                  "permissions")
        return TimetableError(f"cannot open {self.path}: {text}")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}{', read_only=True' if self.read_only else ''})"

    # ------------------------------------------------------------------ cursors and transactions
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise StoreStateError(f"the store {self.path} is closed")
        with self._cursor_lock:
            return self._con.cursor()

    def in_transaction(self) -> bool:
        """True when this thread is inside :meth:`transaction`."""
        return getattr(self._tx, "cur", None) is not None

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor to read with: this thread's transaction's when inside one (it sees its rows)."""
        cur = getattr(self._tx, "cur", None)
        if cur is not None:
            yield cur
            return
        cur = self._cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the file's write lock; rolled back on any exception.

        Nested on one thread, the inner block joins the outer transaction: everything commits
        together when the outermost block ends, or nothing does.
        """
        cur = getattr(self._tx, "cur", None)
        if cur is not None:
            yield cur
            return
        if self.read_only:
            raise TimetableError(f"{self.path} is open read-only; open it without read-only to change it")
        with self._lock:
            cur = self._cursor()
            self._tx.cur = cur
            try:
                cur.begin()
                try:
                    yield cur
                except BaseException:
                    cur.rollback()
                    raise
                try:
                    cur.commit()
                except (duckdb.IOException, duckdb.TransactionException) as exc:
                    raise self._write_error(exc) from None
            finally:
                self._tx.cur = None
                cur.close()

    def _write_error(self, exc: duckdb.Error) -> Exception:
        text = str(exc)
        if "not permitted" in text.lower() or "permission denied" in text.lower() or "read-only" in text.lower():
            return TimetableError(f"cannot save to {self.path}: the file or its folder cannot be written "
                                  f"({text.splitlines()[0]}); nothing was changed; "
                                  "move the database to a folder you may write to")
        return exc

    def query(self, sql: str, params: Sequence = ()) -> list[dict]:
        """The rows of a read query as dicts."""
        with self.reading() as cur:
            return fetch_rows(cur, sql, params)

    def frame(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        """The rows of a read query as a DataFrame."""
        import pandas as pd  # loads on first use: `tt jobs …` reads the store without pandas

        with self.reading() as cur:
            res = cur.execute(sql, list(params))
            cols = [d[0] for d in res.description]
            return pd.DataFrame(res.fetchall(), columns=cols)

    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self.reading() as cur:
            return schema.version(cur)

    # ------------------------------------------------------------------ audit
    def audit(self, action: str, target: str = "", detail: dict | None = None, *, user: str | None = None) -> None:
        """Append one entry to the change history (inside the caller's transaction, if any).

        Parameters
        ----------
        action : str
            What happened, e.g. ``"export"`` or ``"login"``.
        target : str
            What it happened to, e.g. ``"scenario demo"``.
        detail : dict, optional
            JSON-serialisable details.
        user : str, optional
            Who did it.
        """
        with self.transaction() as cur:
            audit_row(cur, user, action, target, detail)

    def audit_log(self, limit: int = 100) -> pd.DataFrame:
        """The latest ``limit`` entries of the change history, newest first."""
        df = self.frame("SELECT id, logged_at, user_name, action, target, detail FROM audit_log "
                        "ORDER BY id DESC LIMIT ?", [int(limit)])
        df["detail"] = [loads(d) for d in df["detail"]]
        return df
