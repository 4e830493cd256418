"""The REST service: jobs that survive a crash, results by id.

``emoface serve`` runs FastAPI under uvicorn. Jobs are queued in SQLite and
rendered in processes of their own at a lower priority (:mod:`.jobs`); the
event loop itself only moves bytes, and blocking work (decoding uploads,
making a track) runs in threads beside it, so live streams keep their
latency while videos render.

Endpoints (``/docs`` and ``/redoc`` document them, offline: :mod:`.api_docs`):
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
import asyncio
import contextlib
import shutil
import uuid
from pathlib import Path
from typing import Any

# At module level: FastAPI reads the endpoints' (string) annotations from here.
from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse

from . import api_docs

from ..options import MotionOptions, RenderOptions
from ..request import GenerateRequest
from .jobs import FORM_NAMES, STATES, JobStore, Workers  # noqa: F401 - STATES is part of the API
from .settings import ServiceOptions


router = APIRouter()
#: The live portrait's endpoints, which the web page serves too.
live_router = APIRouter()


def build_service(opts: ServiceOptions) -> FastAPI:
    """The FastAPI app with its store and workers (started): :data:`router`'s
    endpoints, which find both, and ``opts``, in the app's state."""
    store = JobStore(Path(opts.data_dir))
    store.requeue_interrupted()
    store.clean(opts.keep_hours)
    workers = Workers(store, opts.workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        # SIGTERM (docker stop, systemd) ends running renders too; they are queued again at the next start.
        await asyncio.to_thread(workers.stop)

    # docs_url/redoc_url None: FastAPI's pages load from a CDN; api_docs serves them from a wheel.
    app = FastAPI(title="emoface", version="1", description=api_docs.DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    api_docs.ApiDocs(app, api_key=bool(opts.api_key), caps={
        "VideoOptions": {"max_audio_seconds": opts.max_audio_seconds},
        "BlendshapesOptions": {"max_audio_seconds": _blendshapes_cap(opts)}})
    app.state.opts, app.state.store, app.state.workers = opts, store, workers
    app.state.live = 0  # live sessions drawing now
    app.middleware("http")(_guard)
    app.include_router(router)
    app.include_router(live_router)
    return app


def _blendshapes_cap(opts: ServiceOptions) -> float:
    return min(opts.max_audio_seconds, api_docs.BLENDSHAPES_MAX_S)


async def _guard(request: Request, call_next):
    """Every request: its size, and the key where the server has one."""
    opts: ServiceOptions = request.app.state.opts
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > _limit(opts):
        return JSONResponse({"detail": f"upload is over {opts.max_upload_mb:g} MB"}, 413)
    if opts.api_key and request.url.path.startswith("/v1/"):
        given = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), opts.api_key.encode()):
            # Read the (size-checked) upload first: answering mid-body resets a client still sending it.
            await request.body()
            return JSONResponse({"detail": "missing or wrong API key; send it as X-API-Key"}, 401)
    return await call_next(request)


def _limit(opts: ServiceOptions) -> int:
    return int(opts.max_upload_mb * 1024 * 1024)


def _options(text: str | None, cap: float, *classes: type) -> list[Any]:
    """The options JSON as option objects; the server's audio cap filled in
    when none is given, and enforced when one is."""
    from ..errors import EmofaceError
    from ..options import split

    try:
        values = json.loads(text) if text else {}
        if not isinstance(values, dict):
            raise ValueError("not an object")
    except ValueError as err:
        raise HTTPException(422, f"options: not a JSON object ({err})") from None
    values.setdefault("max_audio_seconds", cap)
    try:
        options = split(values, *classes)
    except EmofaceError as err:  # named as the JSON keys sent (intensity), not as the CLI's flags
        raise HTTPException(422, err.named()) from None
    if options[0].max_audio_seconds > cap:
        raise HTTPException(422, f"max_audio_seconds: this server takes at most {cap:g} s")
    return options


async def _save(upload: UploadFile, folder: Path, stem: str, opts: ServiceOptions) -> Path:
    """An upload stored in ``folder`` as ``stem`` and its (safe) suffix."""
    suffix = Path(upload.filename or "").suffix.lower()
    path = folder / (stem + (suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""))
    data = await upload.read()
    if len(data) > _limit(opts):
        raise HTTPException(413, f"{upload.filename}: over {opts.max_upload_mb:g} MB")
    await asyncio.to_thread(path.write_bytes, data)
    return path


def _check_inputs(request: GenerateRequest) -> None:
    """Refuse unreadable uploads now, naming them as the client did."""
    from ..errors import EmofaceError
    from ..media.audio import load_audio
    from ..media.image import load_image

    try:
        load_image(request.image)
        if request.audio is not None:
            load_audio(request.audio, request.motion.max_audio_seconds, analysis_only=True)
    except EmofaceError as err:
        raise HTTPException(422, request.message(err, FORM_NAMES)) from None


def _speech_given(audio: UploadFile | None, text: str | None) -> None:
    if (audio is None) == (not text):
        raise HTTPException(422, "give exactly one of audio (a file) or text (words to speak)")


@router.post("/v1/videos", status_code=202, summary="Submit a video job",
             responses={202: {"model": api_docs.Submitted, "description": "accepted: poll GET /v1/jobs/{id}"},
                        **api_docs.errors(413, 422, 429)})
async def submit(request: Request,
                 image: UploadFile = File(..., description="the portrait: a photo with a face (jpg, png, webp)"),
                 audio: UploadFile | None = File(None, description="the speech (wav, flac, ogg, mp3, m4a, aac, "
                                                 "webm or a video), at most the server's max_audio_seconds "
                                                 "(see options); give this or text"),
                 text: str | None = api_docs.say_form(),
                 transcript: str | None = Form(None, description="transcript of the audio, for exact lip sync"),
                 options: str | None = api_docs.options_form("VideoOptions", MotionOptions, RenderOptions),
                 glb: bool = Form(False, description="a form field, true or false: also make the animated 3D "
                                                     "face (download it with ?format=glb)")):
    opts: ServiceOptions = request.app.state.opts
    store: JobStore = request.app.state.store
    motion, render = _options(options, opts.max_audio_seconds, MotionOptions, RenderOptions)
    _speech_given(audio, text)
    job_id = uuid.uuid4().hex
    folder = store.dir(job_id)
    folder.mkdir(parents=True)
    try:
        # The uploads' own names, for messages: the user knows noface.png, not image.png.
        uploads = {role: (await _save(f, folder, role, opts), f) for role, f in (("image", image), ("audio", audio))
                   if f is not None}
        job = GenerateRequest(uploads["image"][0], folder / "result.mp4", uploads.get("audio", (None,))[0],
                              say=text or None, text=transcript or None, motion=motion, render=render,
                              track=folder / "result.csv", glb=folder / "result.glb" if glb else None,
                              names={str(path): Path(f.filename or path.name).name for path, f in uploads.values()})
        await asyncio.to_thread(_check_inputs, job)
        if store.add({"id": job_id, **job.to_json(folder)}, opts.max_queue) is None:
            raise HTTPException(429, f"the queue is full ({opts.max_queue} jobs); try again later",
                                headers={"Retry-After": "30"})
    except HTTPException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"id": job_id, "state": "queued"}


def _job(request: Request, job_id: str):
    store: JobStore = request.app.state.store
    try:
        store.dir(job_id)
    except KeyError:
        raise HTTPException(404, f"no job {job_id!r}") from None
    row = store.get(job_id)
    if row is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return row


@router.get("/v1/jobs/{job_id}", summary="A job's state",
            responses={200: {"model": api_docs.JobStatus}, **api_docs.errors(404)})
def status(request: Request, job_id: str = api_docs.job_id()):
    row = _job(request, job_id)
    return {"id": job_id, "state": row["state"], "progress": row["progress"], "error": row["error"],
            "attempts": row["attempts"]}


@router.get("/v1/jobs/{job_id}/result", summary="A done job's video, track or 3D face", response_class=FileResponse,
            responses={**api_docs.RESULT, **api_docs.errors(
                404, 409, 422, e404="no such job, or it made no file of that format (glb needs glb=true)",
                e422="an unknown format")})
def result(request: Request, job_id: str = api_docs.job_id(),
           format: str = api_docs.result_format()):  # noqa: A002 - the query parameter's name
    row = _job(request, job_id)
    if row["state"] != "done":
        raise HTTPException(409, f"job is {row['state']}, not done")
    kinds = {name: media for name, (media, _) in api_docs.RESULTS.items()}
    if format not in kinds:
        raise HTTPException(422, f"format {format!r}: use one of {', '.join(kinds)}")
    path = request.app.state.store.dir(job_id) / f"result.{format}"
    if not path.exists():
        raise HTTPException(404, f"this job made no {format} (ask for it with glb=true)")
    return FileResponse(path, media_type=kinds[format], filename=f"{job_id}.{format}")


@router.delete("/v1/jobs/{job_id}", summary="Cancel a job",
               responses={200: {"model": api_docs.CancelAnswer}, **api_docs.errors(404)})
def cancel(request: Request, job_id: str = api_docs.job_id()):
    row = _job(request, job_id)
    if row["state"] == "queued":
        request.app.state.store.set(job_id, state="cancelled")
    elif row["state"] == "running":
        request.app.state.workers.cancel.add(job_id)
    return {"id": job_id, "state": "cancelled" if row["state"] in ("queued", "running") else row["state"]}


@router.post("/v1/blendshapes", summary="A short clip's motion, at once",
             description=f"The ARKit-52 motion of up to {api_docs.BLENDSHAPES_MAX_S:g} s of speech, "
                         "answered synchronously (no job).",
             responses={200: {"model": api_docs.MotionTrack, "description": "the MotionTrack"},
                        **api_docs.errors(413, 422)})
async def motion(request: Request,
                 audio: UploadFile | None = File(None, description=f"the speech, at most "
                                                                   f"{api_docs.BLENDSHAPES_MAX_S:g} s; give this "
                                                                   "or text"),
                 text: str | None = api_docs.say_form(),
                 options: str | None = api_docs.options_form("BlendshapesOptions", MotionOptions)):
    from .. import pipeline
    from ..errors import EmofaceError
    from ..export import json_track

    opts: ServiceOptions = request.app.state.opts
    (motion_opts,) = _options(options, _blendshapes_cap(opts), MotionOptions)
    _speech_given(audio, text)
    folder = Path(opts.data_dir) / "tmp" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        path = await _save(audio, folder, "audio", opts) if audio is not None else None

        def make() -> Any:
            track = pipeline.blendshapes(path, say=text or None, motion=motion_opts)
            json_track.save(track, folder / "track.json")
            return json.loads((folder / "track.json").read_text())

        return JSONResponse(await asyncio.to_thread(make))
    except EmofaceError as err:
        names = {str(path): Path(audio.filename or "audio").name} if path is not None else {}
        raise HTTPException(422, err.named(FORM_NAMES, names)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.websocket("/v1/stream")
async def stream(ws: WebSocket):
    await _stream(ws, ws.app.state.opts)


async def _stream(ws: WebSocket, opts: ServiceOptions) -> None:
    """One live stream (protocol: docs/stream.md). A bad message is answered
    with ``{"error": ...}`` and the stream goes on; bad options close it
    (1008, the reason says which)."""
    from ..errors import EmofaceError
    from ..stream import StreamSession, stream_options

    await ws.accept()
    query = await _admitted(ws, opts)
    if query is None:
        return
    try:
        session = StreamSession(*stream_options(query))
    except EmofaceError as err:
        await ws.close(1008, close_reason(str(err)))
        return
    await _converse(ws, session.feed, session, _send_track)


async def _admitted(ws: WebSocket, opts: ServiceOptions) -> dict[str, str] | None:
    """An accepted socket's query, its key taken out; None (closed) when
    the key is missing or wrong."""
    query = dict(ws.query_params)
    if opts.api_key:
        given = ws.headers.get("x-api-key") or query.get("api_key") or ""
        if not hmac.compare_digest(given.encode(), opts.api_key.encode()):
            await ws.close(1008, "missing or wrong API key; send it as X-API-Key or ?api_key=")
            return None
    query.pop("api_key", None)
    return query


async def _converse(ws: WebSocket, feed, session, send, quiet_s: float | None = None) -> None:
    """The message loop of a stream or a live session: speech chunks go to
    ``feed`` and what it returns to ``send``; text messages set the emotion
    or end it. A client silent for ``quiet_s`` seconds is gone: its session
    is dropped (a vanished client sends no close)."""
    try:
        while True:
            try:
                message = await asyncio.wait_for(ws.receive(), quiet_s)
            except asyncio.TimeoutError:
                await ws.close(1001, f"nothing received for {quiet_s:g} s; send silence while nobody speaks")
                return
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                await _audio(ws, feed, send, message["bytes"])
            elif await _control(ws, session, send, message.get("text") or ""):
                return
    except WebSocketDisconnect:
        return


async def _send_track(ws: WebSocket, frames) -> None:
    from ..stream import message as stream_message

    if len(frames):
        await ws.send_text(json.dumps(stream_message(frames)))


async def _audio(ws: WebSocket, feed, send, data: bytes) -> None:
    """A chunk of speech: what ``feed`` makes of it, or what is wrong with it."""
    from ..drivers.lipsync.sphinx import RATE

    if not data:
        await ws.send_text(json.dumps({"error": "an empty chunk: send 16-bit mono PCM at 16 kHz, "
                                                "whole samples; the stream goes on"}))
    elif len(data) % 2 or len(data) > 2 * RATE:  # at most one second of 16-bit PCM
        await ws.send_text(json.dumps({"error": f"a chunk of {len(data)} bytes: send 16-bit mono "
                                                "PCM at 16 kHz, whole samples, at most 1 s a chunk"}))
    else:
        await send(ws, await asyncio.to_thread(feed, data))


async def _control(ws: WebSocket, session, send, text: str) -> bool:
    """A text message (emoface.stream.control): an emotion to ease into, or
    the end (True: closed)."""
    from ..errors import EmofaceError
    from ..stream import control

    try:
        ended = control(session, text)
    except (EmofaceError, ValueError) as err:
        await ws.send_text(json.dumps({"error": str(err)}))
        return False
    if ended:
        await send(ws, await asyncio.to_thread(session.end))
        await ws.close(1000, "end of stream")
    return ended


#: A live client that sends nothing for this long is gone (a vanished
#: client sends no close): its session is dropped and its seat freed.
LIVE_QUIET_S = 5.0
_PORTRAIT_ID = re.compile(r"[0-9a-f]{32}")


@live_router.post("/v1/portraits", summary="A portrait for live sessions",
                  description="Store a portrait photo for `/v1/live` (WebSocket) and `/v1/live/offer` (WebRTC; "
                              "docs/live.md). Its face is found now, so a photo without one is refused here, not "
                              "when the session starts.",
                  responses={200: {"model": api_docs.PortraitStored, "description": "where it is kept"},
                             **api_docs.errors(413, 422)})
async def portrait(request: Request, image: UploadFile = File(..., description="the portrait photo")):
    from ..errors import EmofaceError
    from ..face.tracker import track_portrait
    from ..media.image import load_image

    opts: ServiceOptions = request.app.state.opts
    folder = Path(opts.data_dir) / "portraits"
    folder.mkdir(parents=True, exist_ok=True)
    path = await _save(image, folder, uuid.uuid4().hex, opts)
    try:
        await asyncio.to_thread(lambda: track_portrait(load_image(path), source=str(path)))
    except EmofaceError as err:
        path.unlink(missing_ok=True)
        raise HTTPException(422, err.named(FORM_NAMES, {str(path): Path(image.filename or "image").name})) from None
    return {"portrait": path.stem}


class _Refused(Exception):
    """A live session that cannot start: the WebSocket close code and its reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def _open_live(state, query: dict[str, str]):
    """A seat among ``live_sessions`` and a ready LiveSession for ``query``
    (the portrait's id and the options): (session, JPEG quality, release).
    The caller runs ``release`` (any number of times) when the session ends;
    raises :class:`_Refused`, the seat already free."""
    from ..errors import EmofaceError
    from ..live import LiveSession, live_options

    opts: ServiceOptions = state.opts
    if state.live >= opts.live_sessions:
        raise _Refused(1013, f"{state.live} live session(s) running, as many as this server draws at once; "
                             "try again later")
    pid = query.pop("portrait", "")
    found = sorted((Path(opts.data_dir) / "portraits").glob(f"{pid}.*")) if _PORTRAIT_ID.fullmatch(pid) else []
    if not found:
        raise _Refused(1008, "no such portrait: upload it first (POST /v1/portraits) and give its id as "
                             "?portrait=")
    state.live += 1
    seated = True

    def release() -> None:
        nonlocal seated
        if seated:
            seated = False
            state.live -= 1

    try:
        motion, lookahead, shown = live_options(query)
        session = await asyncio.to_thread(LiveSession, found[0], motion, shown.render, lookahead)
    except EmofaceError as err:
        release()
        raise _Refused(1008, close_reason(str(err))) from None
    except BaseException:
        release()
        raise
    return session, shown.quality, release


@live_router.websocket("/v1/live")
async def live(ws: WebSocket):
    await _live(ws, ws.app.state)


class _Wire:
    """A live session as :func:`_converse` drives it: its frames leave as
    binary messages (emoface.live.frame_message), encoded in the worker
    thread that drew them (a picture shown again, on a busy machine, is
    encoded once), and its notices as text."""

    def __init__(self, session, quality: int) -> None:
        self.session, self.quality = session, quality
        self._last: tuple[Any, bytes] | None = None

    def feed(self, data: bytes) -> list[bytes | str]:
        return self._encoded(self.session.push_audio(data))

    def end(self) -> list[bytes | str]:
        return self._encoded(self.session.end())

    def set_emotion(self, emotion: str, intensity: float | None = None) -> None:
        self.session.set_emotion(emotion, intensity)

    def _encoded(self, frames) -> list[bytes | str]:
        from ..live import frame_message, jpeg

        out: list[bytes | str] = []
        for f in frames:
            if self._last is None or self._last[0] is not f.image:
                self._last = (f.image, jpeg(f.image, self.quality))
            out.append(frame_message(f, self.quality, self._last[1]))
        return out + [json.dumps({"notice": n}) for n in self.session.notices()]


async def _send_encoded(ws: WebSocket, messages: list[bytes | str]) -> None:
    for m in messages:
        await (ws.send_bytes(m) if isinstance(m, bytes) else ws.send_text(m))


async def _live(ws: WebSocket, state) -> None:
    """One live talking portrait (protocol: docs/live.md): speech in, JPEG
    frames with their speech out. At most ``live_sessions`` at once."""
    await ws.accept()
    query = await _admitted(ws, state.opts)
    if query is None:
        return
    try:
        session, quality, release = await _open_live(state, query)
    except _Refused as refused:
        await ws.close(refused.code, refused.reason)
        return
    try:
        # The portrait is read: speech sent from now on is drawn as it comes.
        h, w = session.renderer.photo.shape[:2]
        await ws.send_text(json.dumps({"ready": {"fps": session.fps, "width": w, "height": h}}))
        wire = _Wire(session, quality)
        await _converse(ws, wire.feed, wire, _send_encoded, LIVE_QUIET_S)
    finally:
        release()


#: HTTP statuses of the refusals a WebSocket closes with.
_REFUSED_HTTP = {1013: 503, 1008: 422}


@live_router.post("/v1/live/offer", summary="A live session over WebRTC",
                  description="The browser's SDP offer (JSON `{\"sdp\", \"type\": \"offer\"}`, one audio "
                              "track: the microphone) for the portrait `?portrait=<id>` with the live options as "
                              "query keys; answers the SDP answer, whose tracks carry the talking portrait's "
                              "video and voice (docs/live.md).",
                  responses={200: {"model": api_docs.SessionDescription, "description": "the SDP answer"},
                             **api_docs.errors(422, 503)},
                  openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                      "schema": {"$ref": "#/components/schemas/SessionDescription"}}}}})
async def offer(request: Request):
    from . import webrtc

    query = dict(request.query_params)
    query.pop("api_key", None)
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(422, 'send the browser\'s offer as JSON {"sdp": "...", "type": "offer"}') from None
    try:
        session, _, release = await _open_live(request.app.state, query)
    except _Refused as refused:
        raise HTTPException(_REFUSED_HTTP[refused.code], refused.reason) from None
    try:
        # The connection outlives this request: its close releases the seat.
        return await webrtc.answer(body, session, LIVE_QUIET_S, release)
    except ValueError as err:  # answer() has closed the connection and released the seat
        raise HTTPException(422, str(err)) from None


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
