"""The REST service: jobs that survive a crash, results by id.

``emoface serve`` runs FastAPI under uvicorn. Every accepted job is a row in
SQLite (WAL) with its inputs on disk under the data directory, written
before the 202 answer; worker threads claim queued jobs one at a time. A job
that was running when the process died is queued again at start-up, and its
result is written atomically under its own id, so every accepted job
finishes exactly once however often the server is killed.

Endpoints (``/docs`` serves the OpenAPI schema):
``POST /v1/videos`` (multipart: image; audio or text; options as JSON) -> 202
``{"id"}``; ``GET /v1/jobs/{id}``; ``GET /v1/jobs/{id}/result[?format=csv|glb]``;
``DELETE /v1/jobs/{id}``; ``POST /v1/blendshapes`` (short audio or text ->
the MotionTrack as JSON, synchronously); ``/v1/stream`` (WebSocket: live
PCM in, ARKit frames out; docs/stream.md).
"""

from __future__ import annotations

import hmac
import json
import re
import shutil
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# At module level: FastAPI reads the endpoints' (string) annotations from here.
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse

_ID = re.compile(r"^[0-9a-f]{32}$")
STATES = ("queued", "running", "done", "failed", "cancelled")


@dataclass(frozen=True)
class ServiceOptions:
    """Limits and set-up of one server."""

    data_dir: Path
    workers: int = 1
    api_key: str | None = None
    max_queue: int = 100
    max_upload_mb: float = 50.0
    max_audio_seconds: float = 300.0
    keep_hours: float = 24.0


class Cancelled(Exception):
    """Raised inside a job whose cancellation was asked."""


class JobStore:
    """Jobs in SQLite (WAL), one connection per call: safe from any thread."""

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

    def requeue_interrupted(self) -> int:
        """Jobs a killed server was running are queued again, and what they
        had half written (``*.partial-*`` outputs) is removed."""
        for partial in (self.folder / "jobs").glob("*/.*.partial-*"):
            partial.unlink(missing_ok=True)
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
    """Threads that run queued jobs through the pipeline."""

    def __init__(self, store: JobStore, count: int) -> None:
        self.store = store
        self.cancel: set[str] = set()
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, daemon=True, name=f"job-{i}") for i in range(count)]
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            row = self.store.claim()
            if row is None:
                self._stop.wait(0.2)
                continue
            self._run(row["id"], json.loads(row["spec"]))

    def _run(self, job_id: str, spec: dict[str, Any]) -> None:
        from .. import pipeline
        from ..errors import EmofaceError
        from ..export import save_track
        from ..options import MotionOptions, RenderOptions, split

        folder = self.store.dir(job_id)

        def hook(step: str, done: int, total: int) -> None:
            if job_id in self.cancel:
                raise Cancelled()
            if step == "rendering" and total:
                self.store.set(job_id, progress=round(done / total, 3))

        try:
            motion, render = split(spec["options"], MotionOptions, RenderOptions)
            res = pipeline.generate(folder / spec["image"], folder / spec["audio"] if spec.get("audio") else None,
                                    output=folder / "result.mp4", say=spec.get("say"), text=spec.get("text"),
                                    motion=motion, render=render,
                                    glb=folder / "result.glb" if spec.get("glb") else None, progress=hook)
            save_track(res.track, folder / "result.csv")
            self.store.set(job_id, state="done", progress=1.0)
        except Cancelled:
            self.store.set(job_id, state="cancelled")
        except EmofaceError as err:
            message = str(err).replace(str(folder) + "/", "")
            for stored, given in spec.get("names", {}).items():
                message = message.replace(stored, given)
            self.store.set(job_id, state="failed", error=message)
        except Exception as err:  # noqa: BLE001 - a job's bug must not stop the worker
            self.store.set(job_id, state="failed", error=f"internal error: {err.__class__.__name__}: {err}")
        finally:
            self.cancel.discard(job_id)


def build_service(opts: ServiceOptions):
    """The FastAPI app with its store and workers (started)."""
    from ..errors import EmofaceError
    from ..options import MotionOptions, RenderOptions, split

    store = JobStore(Path(opts.data_dir))
    store.requeue_interrupted()
    store.clean(opts.keep_hours)
    workers = Workers(store, opts.workers)
    app = FastAPI(title="emoface", version="1", description="Make a portrait talk: jobs, results, motion.")
    app.state.store, app.state.workers = store, workers
    limit = int(opts.max_upload_mb * 1024 * 1024)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if opts.api_key and request.url.path.startswith("/v1/"):
            given = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), opts.api_key.encode()):
                return JSONResponse({"detail": "missing or wrong API key; send it as X-API-Key"}, 401)
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > limit:
            return JSONResponse({"detail": f"upload is over {opts.max_upload_mb:g} MB"}, 413)
        return await call_next(request)

    def _options(text: str | None) -> dict[str, Any]:
        try:
            values = json.loads(text) if text else {}
            if not isinstance(values, dict):
                raise ValueError("not an object")
        except ValueError as err:
            raise HTTPException(422, f"options: not a JSON object ({err})") from None
        values.setdefault("max_audio_seconds", opts.max_audio_seconds)
        if float(values["max_audio_seconds"]) > opts.max_audio_seconds:
            raise HTTPException(422, f"max_audio_seconds: this server takes at most {opts.max_audio_seconds:g} s")
        try:
            split(values, MotionOptions, RenderOptions)
        except EmofaceError as err:
            raise HTTPException(422, str(err)) from None
        return values

    async def _save(upload: UploadFile, folder: Path, stem: str) -> str:
        suffix = Path(upload.filename or "").suffix.lower()
        name = stem + (suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else "")
        data = await upload.read()
        if len(data) > limit:
            raise HTTPException(413, f"{upload.filename}: over {opts.max_upload_mb:g} MB")
        (folder / name).write_bytes(data)
        return name

    def _check_inputs(folder: Path, image: tuple[str, str], audio: tuple[str, str] | None) -> None:
        """Refuse unreadable uploads now, naming them as the client did."""
        from ..media.audio import load_audio
        from ..media.image import load_image

        try:
            load_image(folder / image[0])
            if audio:
                load_audio(folder / audio[0], opts.max_audio_seconds, analysis_only=True)
        except EmofaceError as err:
            message = str(err)
            for saved, given in (image, audio or image):
                message = message.replace(str(folder / saved), given or saved)
            raise HTTPException(422, message) from None

    @app.post("/v1/videos", status_code=202)
    async def submit(image: UploadFile = File(...), audio: UploadFile | None = File(None),
                     text: str | None = Form(None, description="words to speak (instead of audio)"),
                     transcript: str | None = Form(None, description="transcript of the audio"),
                     options: str | None = Form(None, description="generate options as JSON"),
                     glb: bool = Form(False, description="also make the 3D face")):
        values = _options(options)
        if (audio is None) == (not text):
            raise HTTPException(422, "give exactly one of audio (a file) or text (words to speak)")
        job_id = uuid.uuid4().hex
        folder = store.dir(job_id)
        folder.mkdir(parents=True)
        try:
            image_name = await _save(image, folder, "image")
            audio_name = await _save(audio, folder, "audio") if audio is not None else None
            _check_inputs(folder, (image_name, image.filename or ""),
                          (audio_name, audio.filename or "") if audio is not None and audio_name else None)
            # The uploads' own names, for messages: the user knows noface.png, not image.png.
            names = {image_name: Path(image.filename or image_name).name}
            if audio is not None and audio_name:
                names[audio_name] = Path(audio.filename or audio_name).name
            spec = {"id": job_id, "image": image_name, "audio": audio_name, "say": text or None,
                    "text": transcript or None, "options": values, "glb": glb, "names": names}
            if store.add(spec, opts.max_queue) is None:
                raise HTTPException(429, f"the queue is full ({opts.max_queue} jobs); try again later",
                                    headers={"Retry-After": "30"})
        except HTTPException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return {"id": job_id, "state": "queued"}

    def _job(job_id: str):
        try:
            store.dir(job_id)
        except KeyError:
            raise HTTPException(404, f"no job {job_id!r}") from None
        row = store.get(job_id)
        if row is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return row

    @app.get("/v1/jobs/{job_id}")
    def status(job_id: str):
        row = _job(job_id)
        return {"id": job_id, "state": row["state"], "progress": row["progress"], "error": row["error"],
                "attempts": row["attempts"]}

    @app.get("/v1/jobs/{job_id}/result")
    def result(job_id: str, format: str = "mp4"):  # noqa: A002 - the query parameter's name
        row = _job(job_id)
        if row["state"] != "done":
            raise HTTPException(409, f"job is {row['state']}, not done")
        kinds = {"mp4": "video/mp4", "csv": "text/csv", "glb": "model/gltf-binary"}
        if format not in kinds:
            raise HTTPException(422, f"format {format!r}: use one of {', '.join(kinds)}")
        path = store.dir(job_id) / f"result.{format}"
        if not path.exists():
            raise HTTPException(404, f"this job made no {format} (ask for it with glb=true)")
        return FileResponse(path, media_type=kinds[format], filename=f"{job_id}.{format}")

    @app.delete("/v1/jobs/{job_id}")
    def cancel(job_id: str):
        row = _job(job_id)
        if row["state"] == "queued":
            store.set(job_id, state="cancelled")
        elif row["state"] == "running":
            workers.cancel.add(job_id)
        return {"id": job_id, "state": "cancelled" if row["state"] in ("queued", "running") else row["state"]}

    @app.post("/v1/blendshapes")
    async def motion(audio: UploadFile | None = File(None), text: str | None = Form(None),
                     options: str | None = Form(None)):
        from .. import pipeline
        from ..export import json_track

        values = _options(options)
        values["max_audio_seconds"] = min(float(values["max_audio_seconds"]), 60.0)
        if (audio is None) == (not text):
            raise HTTPException(422, "give exactly one of audio (a file) or text (words to speak)")
        folder = Path(opts.data_dir) / "tmp" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        try:
            name = await _save(audio, folder, "audio") if audio is not None else None
            (motion_opts,) = split({k: v for k, v in values.items() if k in MotionOptions.__dataclass_fields__},
                                   MotionOptions)
            track = pipeline.blendshapes(folder / name if name else None, say=text or None, motion=motion_opts)
            out = folder / "track.json"
            json_track.save(track, out)
            return JSONResponse(json.loads(out.read_text()))
        except EmofaceError as err:
            raise HTTPException(422, str(err).replace(str(folder) + "/", "")) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket):
        await _stream(ws, opts)

    return app




async def _stream(ws: WebSocket, opts: ServiceOptions) -> None:
    """One live stream (protocol: docs/stream.md). A bad message is answered
    with ``{"error": ...}`` and the stream goes on; bad options close it
    (1008, the reason says which)."""
    import asyncio

    from ..drivers.lipsync.sphinx import RATE
    from ..errors import EmofaceError
    from ..stream import StreamSession, stream_options

    max_chunk = 2 * RATE  # bytes: one second of 16-bit PCM
    await ws.accept()
    query = dict(ws.query_params)
    if opts.api_key:
        given = ws.headers.get("x-api-key") or query.get("api_key") or ""
        if not hmac.compare_digest(given.encode(), opts.api_key.encode()):
            await ws.close(1008, "missing or wrong API key; send it as X-API-Key or ?api_key=")
            return
    query.pop("api_key", None)
    try:
        session = StreamSession(*stream_options(query))
    except EmofaceError as err:
        await ws.close(1008, close_reason(str(err)))
        return

    async def send(frames) -> None:
        if len(frames):
            await ws.send_text(json.dumps(frames.message()))

    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                data = message["bytes"]
                if not data:
                    await ws.send_text(json.dumps({"error": "an empty chunk: send 16-bit mono PCM at 16 kHz, "
                                                            "whole samples; the stream goes on"}))
                    continue
                if len(data) % 2 or len(data) > max_chunk:
                    await ws.send_text(json.dumps({"error": f"a chunk of {len(data)} bytes: send 16-bit mono "
                                                            "PCM at 16 kHz, whole samples, at most 1 s a chunk"}))
                    continue
                await send(await asyncio.to_thread(session.feed, data))
                continue
            try:
                control = json.loads(message.get("text") or "")
                if not isinstance(control, dict):
                    raise ValueError("not an object")
            except ValueError:
                await ws.send_text(json.dumps({"error": 'text messages are JSON objects: {"emotion": "happy", '
                                                        '"intensity": 0.7} or {"end": true}'}))
                continue
            if control.get("end"):
                await send(await asyncio.to_thread(session.end))
                await ws.close(1000, "end of stream")
                return
            try:
                if "emotion" not in control:
                    raise ValueError(f"unknown message {sorted(control)}; send emotion (and intensity) or end")
                session.set_emotion(control["emotion"], control.get("intensity"))
            except (EmofaceError, ValueError, TypeError) as err:
                await ws.send_text(json.dumps({"error": str(err)}))
    except WebSocketDisconnect:
        return


def close_reason(text: str, limit: int = 123) -> str:
    """A WebSocket close reason (at most 123 bytes of UTF-8): the message
    itself, or its start cut at a word with a pointer to the docs."""
    if len(text.encode()) <= limit:
        return text
    tail = "... (all of it: docs/stream.md)"
    room = limit - len(tail.encode())
    cut = text.encode()[:room].decode(errors="ignore")
    cut = cut[:cut.rfind(" ")] if " " in cut else cut
    return cut.rstrip(" ,;:") + tail


def serve(opts: ServiceOptions, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(build_service(opts), host=host, port=port, log_level="warning")
