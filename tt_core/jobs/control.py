"""A tiny control channel to a running job runner, for other processes on the same machine.

DuckDB lets one process hold a database file, even for reading: while a runner (``tt jobs run``,
``tt jobs submit --wait``, the Panel apps) owns the file, ``tt jobs list`` in another terminal could
not even open it. So the runner serves its own job operations over HTTP on ``127.0.0.1`` (an
ephemeral port) and announces itself in a side file ``<database>.runner.json``
(``{"pid", "port", "token"}``, mode 0600). Another process finding a live runner there talks to it
with :class:`RunnerClient`; the runner answers from its own connection, so there is still exactly
one writer. Every request carries the token from the side file (only users who can read it can
steer the runner). Routes (JSON in and out):

``GET  /jobs?status=&limit=``            list jobs
``GET  /jobs/<id>``                       one job (with its checkpoint summary)
``GET  /jobs/<id>/events?after=<seq>``    events after a sequence number
``POST /jobs``                            submit (body: the keyword arguments of ``submit``)
``POST /jobs/<id>/cancel`` / ``/retry``   cancel or retry

Errors come back as ``{"error": message}`` with status 400 (a user error or a malformed request),
403 (wrong token), 404 (unknown route) or 500 (a bug: logged with its traceback in the runner's log
first), and :class:`RunnerClient` raises them as :class:`~tt_core.errors.TimetableError`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import TimetableError

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-TT-Token"


def side_file(db_path: str | os.PathLike) -> Path:
    """Where the runner of ``db_path`` announces its control address."""
    p = Path(db_path).resolve()
    return p.with_name(p.name + ".runner.json")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _json_default(x):
    import datetime

    import numpy as np

    if isinstance(x, (datetime.datetime, datetime.date)):
        return x.isoformat()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def _whole(query: dict, name: str) -> int | None:
    """The query parameter ``name`` as an int (None when absent)."""
    text = query.get(name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise TimetableError(f"{name} must be a whole number, got {text!r}") from None


class ControlServer:
    """Serves a runner's job operations on 127.0.0.1 and writes the side file (see module doc)."""

    def __init__(self, runner, db_path: str | os.PathLike):
        self.runner = runner
        self.path = side_file(db_path)
        self.token = secrets.token_hex(16)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):  # keep the CLI's output clean
                pass

            def _reply(self, code: int, body) -> None:
                data = json.dumps(body, default=_json_default).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                if not secrets.compare_digest(self.headers.get(TOKEN_HEADER, ""), server.token):
                    self._reply(403, {"error": "wrong or missing control token"})
                    return
                url = urllib.parse.urlsplit(self.path)
                parts = [p for p in url.path.split("/") if p]
                query = dict(urllib.parse.parse_qsl(url.query))
                try:
                    body = self._body()
                except ValueError as exc:  # a client's bug: say so, the runner lives on
                    log.warning("control %s %s: bad request body: %s", method, url.path, exc)
                    self._reply(400, {"error": f"the request body is not a JSON object: {exc}"})
                    return
                try:
                    result = server.dispatch(method, parts, query, body)
                except TimetableError as exc:
                    log.info("control %s %s refused: %s", method, url.path, exc)
                    self._reply(400, {"error": str(exc)})
                    return
                except Exception as exc:  # noqa: BLE001 - the caller gets the message, the runner lives on
                    log.exception("control %s %s failed", method, url.path)
                    self._reply(500, {"error": f"{type(exc).__name__}: {exc} (the runner's log has the details)"})
                    return
                if result is None:
                    self._reply(404, {"error": f"no such route: {method} {url.path}"})
                else:
                    self._reply(200, result)

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                if not isinstance(body, dict):
                    raise ValueError(f"got {type(body).__name__}")
                return body

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="tt-jobs-control", daemon=True)

    def start(self) -> None:
        self._thread.start()
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "port": self.port, "token": self.token}, f)
        os.replace(tmp, self.path)

    def close(self) -> None:
        try:
            info = json.loads(self.path.read_text())
            if info.get("pid") == os.getpid():
                self.path.unlink()
        except (OSError, ValueError):
            pass
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def dispatch(self, method: str, parts: list[str], query: dict, body: dict):
        r = self.runner
        if parts == ["jobs"]:
            if method == "GET":
                return r.list_jobs(status=query.get("status") or None, limit=_whole(query, "limit"))
            if method == "POST":
                return {"job_id": r.submit(**body)}
        if len(parts) >= 2 and parts[0] == "jobs":
            try:
                job_id = int(parts[1])
            except ValueError:
                raise TimetableError(f"job id must be a number, got {parts[1]!r}") from None
            if len(parts) == 2 and method == "GET":
                return r.get_job(job_id)
            if parts[2:] == ["events"] and method == "GET":
                return r.events(job_id, after=_whole(query, "after") or 0)
            if parts[2:] in (["cancel"], ["retry"]) and method == "POST":
                # ``tt jobs cancel/retry`` while this runner holds the file: it writes the audit entry
                # (the apps call the runner directly and audit with the signed-in user)
                action = parts[2]
                status = r.cancel(job_id) if action == "cancel" else r.retry(job_id)
                r.store.audit(f"{action} job", f"job {job_id}", {"outcome": status, "via": "command line"})
                return {"status": status}
        return None


class RunnerClient:
    """Job operations of a runner in another process (a :class:`~tt_core.jobs.api.JobAPI`)."""

    def __init__(self, port: int, token: str, pid: int | None = None, timeout: float = 10.0):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.pid = pid
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body, default=_json_default).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={TOKEN_HEADER: self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error") or str(exc)
            except ValueError:
                message = str(exc)
            raise TimetableError(message) from None
        except (urllib.error.URLError, OSError) as exc:
            raise TimetableError(f"the job runner (pid {self.pid}) did not answer at {self.base}: "
                                 f"{getattr(exc, 'reason', exc)}") from None

    def list_jobs(self, status: str | None = None, limit: int | None = None) -> list[dict]:
        q = urllib.parse.urlencode({k: v for k, v in (("status", status), ("limit", limit)) if v})
        return self._call("GET", "/jobs" + (f"?{q}" if q else ""))

    def get_job(self, job_id: int) -> dict:
        return self._call("GET", f"/jobs/{int(job_id)}")

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        return self._call("GET", f"/jobs/{int(job_id)}/events?after={int(after)}")

    def submit(self, scenario: str, strategy: str | None = None, weights=None, time_limit: float = 60.0,
               seed: int = 0, initial_variant: int | None = None, pinned=None, name: str | None = None,
               user: str | None = None) -> int:
        body = {"scenario": scenario, "strategy": strategy, "weights": weights, "time_limit": time_limit,
                "seed": seed, "initial_variant": initial_variant, "pinned": pinned, "name": name, "user": user}
        return int(self._call("POST", "/jobs", body)["job_id"])

    def cancel(self, job_id: int) -> str:
        return self._call("POST", f"/jobs/{int(job_id)}/cancel", {})["status"]

    def retry(self, job_id: int) -> str:
        return self._call("POST", f"/jobs/{int(job_id)}/retry", {})["status"]


def find_runner(db_path: str | os.PathLike) -> RunnerClient | None:
    """A client for the live runner of ``db_path``, or None (a stale side file is removed)."""
    path = side_file(db_path)
    try:
        info = json.loads(path.read_text())
        pid, port, token = int(info["pid"]), int(info["port"]), str(info["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _pid_alive(pid):
        try:
            path.unlink()
        except OSError:
            pass
        return None
    return RunnerClient(port, token, pid)
