"""The service's jobs: a queue in SQLite and the processes that render it.

Every accepted job is a row in SQLite (WAL) with its inputs on disk, written
before the client is answered. Each job renders in a process of its own at
a lower CPU priority (``nice`` 10), so the server's event loop, and every
live stream on it, keeps its latency while videos render: a render holds
the GIL for most of each frame, which a thread in the server would share.
A job that was running when the server died is queued again at start-up,
and its result is written atomically under its own id, so every accepted
job finishes exactly once however often the server is killed.

Run as ``python -m emoface.app.jobs DATA_DIR JOB_ID``: render one claimed
job (what :class:`Workers` starts).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

_ID = re.compile(r"^[0-9a-f]{32}$")
STATES = ("queued", "running", "done", "failed", "cancelled")
#: generate()'s inputs as the REST form names them (options go by their JSON keys).
FORM_NAMES = {"say": "text", "text": "transcript"}
JOB_NICENESS = 10  # below the server: a stream's 20 ms chunk must not wait behind a frame


class JobStore:
    """Jobs in SQLite (WAL), one connection per call: safe from any thread
    and any process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "jobs").mkdir(parents=True, exist_ok=True)
        self.path = folder / "jobs.sqlite"
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, state TEXT, spec TEXT, "
                       "error TEXT, progress REAL, attempts INTEGER, created REAL, updated REAL)")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    def dir(self, job_id: str) -> Path:
        if not _ID.match(job_id):  # ids are ours: nothing else may name a folder
            raise KeyError(job_id)
        return self.folder / "jobs" / job_id

    def add(self, spec: dict[str, Any], max_queue: int) -> str | None:
        """A new queued job's id, or None when the queue is full."""
        job_id = spec["id"]
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            waiting = db.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]
            if waiting >= max_queue:
                db.execute("ROLLBACK")
                return None
            now = time.time()
            db.execute("INSERT INTO jobs VALUES (?, 'queued', ?, NULL, 0, 0, ?, ?)",
                       (job_id, json.dumps(spec), now, now))
            db.execute("COMMIT")
        return job_id

    def get(self, job_id: str) -> sqlite3.Row | None:
        with self._db() as db:
            return db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()

    def claim(self) -> sqlite3.Row | None:
        """The oldest queued job, now marked running (atomically)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM jobs WHERE state = 'queued' ORDER BY created LIMIT 1").fetchone()
            if row is not None:
                db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, updated = ? WHERE id = ?",
                           (time.time(), row["id"]))
            db.execute("COMMIT")
        return row

    def set(self, job_id: str, **fields: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._db() as db:
            db.execute(f"UPDATE jobs SET {cols}, updated = ? WHERE id = ?", (*fields.values(), time.time(), job_id))

    def sweep_partials(self, job_id: str | None = None) -> None:
        """Remove what interrupted renders half wrote (``.*.partial-*``)."""
        for partial in (self.folder / "jobs").glob(f"{job_id or '*'}/.*.partial-*"):
            partial.unlink(missing_ok=True)

    def requeue_interrupted(self) -> int:
        """Jobs a killed server was running are queued again, and what they
        had half written is removed."""
        self.sweep_partials()
        with self._db() as db:
            return db.execute("UPDATE jobs SET state = 'queued', progress = 0 WHERE state = 'running'").rowcount

    def clean(self, keep_hours: float) -> None:
        old = time.time() - keep_hours * 3600
        with self._db() as db:
            rows = db.execute("SELECT id FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND updated < ?",
                              (old,)).fetchall()
            for row in rows:
                shutil.rmtree(self.dir(row["id"]), ignore_errors=True)
                db.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))


class Workers:
    """Threads that each start one job process at a time and watch it: a
    cancelled job's process is stopped, and on shutdown every running one
    is, its job left to be queued again at the next start."""

    def __init__(self, store: JobStore, count: int) -> None:
        self.store = store
        self.cancel: set[str] = set()
        self._stop = threading.Event()
        self._running: dict[str, subprocess.Popen] = {}
        self.threads = [threading.Thread(target=self._loop, daemon=True, name=f"job-{i}") for i in range(count)]
        for t in self.threads:
            t.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and end the running ones (SIGTERM: each removes
        its partial outputs and its own children on the way out)."""
        self._stop.set()
        for proc in list(self._running.values()):
            _end(proc, timeout)
        for t in self.threads:
            t.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            row = self.store.claim()
            if row is None:
                self._stop.wait(0.2)
                continue
            self._watch(row["id"])

    def _watch(self, job_id: str) -> None:
        with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty job must never block on it
            proc = subprocess.Popen([sys.executable, "-m", "emoface.app.jobs", str(self.store.folder), job_id],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
            self._follow(job_id, proc, log)

    def _follow(self, job_id: str, proc: subprocess.Popen, log: IO[bytes]) -> None:
        if hasattr(os, "setpriority"):  # before it starts its own children: they inherit it
            with contextlib.suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + JOB_NICENESS)
        self._running[job_id] = proc
        try:
            while proc.poll() is None and not self._stop.is_set():
                if job_id in self.cancel:
                    _end(proc)
                    self.store.sweep_partials(job_id)
                    self.store.set(job_id, state="cancelled")
                    return
                self._stop.wait(0.1)
            if self._stop.is_set():
                return  # still 'running': the next start queues it again
            if proc.returncode != 0 and self.store.get(job_id)["state"] == "running":
                # The process died without saying why (out of memory, a native crash).
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
                self.store.sweep_partials(job_id)
                self.store.set(job_id, state="failed", error="internal error: the render process ended with "
                               f"code {proc.returncode}" + (f" ({tail[0]})" if tail else ""))
        finally:
            self._running.pop(job_id, None)
            self.cancel.discard(job_id)


def _end(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stopped(signum, frame) -> None:  # noqa: ARG001
    # Unwind instead of dying on the spot, so atomic outputs remove their
    # partial files and pools and encoders end with this process.
    raise SystemExit(128 + signum)


def run(folder: Path, job_id: str) -> None:
    """Render one claimed job; its outcome goes to the store."""
    from ..errors import EmofaceError
    from ..request import GenerateRequest, run_request

    store = JobStore(folder)

    def hook(step: str, done: int, total: int) -> None:
        if step == "rendering" and total:
            store.set(job_id, progress=round(done / total, 3))

    request = None
    try:
        request = GenerateRequest.from_json(json.loads(store.get(job_id)["spec"]), store.dir(job_id))
        run_request(request, progress=hook)
        store.set(job_id, state="done", progress=1.0)
    except EmofaceError as err:
        # Named as the client sent them: the form's fields, and noface.png, not image.png.
        store.set(job_id, state="failed", error=request.message(err, FORM_NAMES) if request
                  else err.named(FORM_NAMES))
    except Exception as err:  # noqa: BLE001 - a job's bug is that job's failure
        store.set(job_id, state="failed", error=f"internal error: {err.__class__.__name__}: {err}")


def main(argv: list[str]) -> int:
    from ..processes import keep_frame_buffers

    keep_frame_buffers()  # this process's entry: its heap is ours to set
    signal.signal(signal.SIGTERM, _stopped)
    run(Path(argv[0]), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
