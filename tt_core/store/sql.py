"""Small SQL helpers every repository of the store shares: values in and out of DuckDB.

Table and column names only ever come from the store's own constants (:func:`ident` guards
against a slip); every value travels as a query parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from ..errors import TimetableError, ValidationError

_IDENT = re.compile(r"[a-z_][a-z0-9_]*\Z")


def utcnow() -> datetime:
    """The current UTC time without a time zone (how the store keeps timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def ident(name: str) -> str:
    """``name`` checked to be a plain SQL identifier."""
    # identifiers only ever come from the store's constants; this guards against a slip
    if not _IDENT.match(name):
        raise ValueError(f"not an SQL identifier: {name!r}")
    return name


def to_json(value: Any, what: str) -> str:
    """``value`` as JSON text; a user-facing error naming ``what`` when it cannot be stored."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TimetableError(f"{what} cannot be stored: {exc}; use numbers, strings, lists and dicts") from None


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def loads(text: str | None):
    """JSON text (or NULL) back to a value."""
    return None if text is None else json.loads(text)


def first_row(result) -> tuple | None:
    """The first row of a result, fetched completely (an unfinished DuckDB result blocks its cursor)."""
    found = result.fetchall()
    return found[0] if found else None


def fetch_rows(cur, sql: str, params: Sequence = ()) -> list[dict]:
    """The rows of a query as dicts (column name -> value)."""
    res = cur.execute(sql, list(params))
    cols = [d[0] for d in res.description]
    return [dict(zip(cols, row)) for row in res.fetchall()]


def bulk(cur, table: str, data: dict[str, Sequence]) -> None:
    """Insert the rows of ``data`` (column -> values, equal lengths) into ``table``."""
    import pandas as pd  # loads on first use: `tt jobs …` reads the store without pandas

    cols = [ident(c) for c in data]
    frame = pd.DataFrame({c: (v if isinstance(v, (np.ndarray, pd.api.extensions.ExtensionArray)) else list(v))
                          for c, v in data.items()})
    if frame.empty:
        return
    cur.register("_tt_bulk", frame)
    try:
        names = ", ".join(cols)
        cur.execute(f"INSERT INTO {ident(table)} ({names}) SELECT {names} FROM _tt_bulk")
    finally:
        cur.unregister("_tt_bulk")


def next_ids(cur, table: str, n: int) -> list[int]:
    """``n`` new ids from the table's sequence."""
    if n == 0:
        return []
    seq = ident(f"{table}_id_seq")
    return [r[0] for r in cur.execute(f"SELECT nextval('{seq}') FROM range(?)", [n]).fetchall()]


def audit_row(cur, user: str | None, action: str, target: str, detail: dict | None = None) -> None:
    """Append one entry to the change history inside the caller's transaction."""
    cur.execute("INSERT INTO audit_log (logged_at, user_name, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                [utcnow(), user, action, target, to_json(detail or {}, "audit detail")])


def translate(exc: duckdb.Error, what: str) -> TimetableError:
    """A DuckDB constraint error as a user-facing error naming the item."""
    text = str(exc).split("\n")[0]
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    return ValidationError([f"{what}: {text}"], title="the change was refused")
