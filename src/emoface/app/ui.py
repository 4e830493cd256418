"""The web page: upload a photo and a voice (or type what to say), pick an
emotion, press a button, watch and download. A Gradio app, thin over the
pipeline, that works with no network (no CDN fonts or scripts).

Run: ``emoface ui`` (http://127.0.0.1:7860).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import EmofaceError
from ..options import EMOTIONS

#: What the page says when a run fails on a user's input (the one line the CLI prints).
ERROR_PREFIX = "Could not make the video: "
#: The options the page offers, as widgets made from their declarations
#: (default, range, choices); the first two sit above the "More" fold.
PAGE_OPTIONS = ("emotion", "intensity", "mouth_gain", "expression_gain", "head_motion", "blinks_per_minute",
                "gaze", "seed", "max_side")
#: The page's fields by option (or input) name, as the page labels them:
#: its messages name them so, where the CLI's would say --head-motion.
LABELS = {**{name: name.replace("_", " ").capitalize() for name in PAGE_OPTIONS},
          "say": "Text to speak", "max_side": "Output size (longest side)"}
#: What messages call the emotion when the keyframe table gives it.
TIMELINE = "emotion timeline"


def _example_portrait(folder: Path) -> str:
    import skimage.data
    from PIL import Image

    path = folder / "example_portrait.png"
    if not path.exists():
        Image.fromarray(skimage.data.astronaut()).save(path)
    return str(path)


class Models:
    """What the page keeps loaded between requests: Python's imports, the
    portrait tracker, and a worker process with the recogniser's imports in
    which each request's motion is made while the portrait is prepared.

    The worker is started first, from a forkserver (a clean interpreter),
    because the kept tracker's native threads make forking this process
    unsafe. Speech synthesis is not kept: its seed is drawn when the voice
    loads, and the page's seed must give the same speech every time."""

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from ..face.tracker import keep_portrait_trackers

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["emoface.pipeline", "pocketsphinx"])
        self.worker: ProcessPoolExecutor | None = ProcessPoolExecutor(1, mp_context=ctx)
        self.worker.submit(_warm_up)  # started now, not on the first request
        keep_portrait_trackers()

    def lost_worker(self) -> None:
        """The worker died (killed; or it could not start, as from a script
        without a ``__main__`` guard): from now on the motion is made here."""
        self.worker.shutdown(wait=False, cancel_futures=True)
        self.worker = None


def _warm_up() -> None:
    import numpy as np

    from ..drivers.lipsync.sphinx import recognize

    recognize(np.zeros(4000, np.float32))  # reads the acoustic model, so the first request finds it in the page cache


def run_job(image: str | None, audio: str | None, say: str, fields: dict[str, Any], out_dir: str | Path,
            progress: Any = None, models: Models | None = None) -> dict[str, Any]:
    """One generate call from the page: its uploads, its text and the
    option widgets' values by option name (:data:`PAGE_OPTIONS`; what is
    left out takes the library's default). Returns the files made, or
    ``{"error": "..."}`` for a user mistake (never raises for one)."""
    import warnings
    from concurrent.futures.process import BrokenProcessPool

    from ..request import GenerateRequest, run_request

    def hook(step: str, done: int, total: int) -> None:
        if progress is not None and total:
            progress(done / total, desc=step)

    out = Path(tempfile.mkdtemp(prefix="job-", dir=out_dir))
    spec = str(fields.get("emotion") or "").strip() or "neutral"
    # The uploads live under temporary paths; messages name them as the user knows them.
    names = {path: f"{what} ({Path(path).name})" for path, what in ((image, "the portrait"), (audio, "the speech"))
             if path}
    request = GenerateRequest(image or "", Path(), names=names)
    try:
        if not image:
            raise EmofaceError("no portrait given; upload a photo with a face, or use the example")
        speech_text = (say or "").strip() or None
        if not audio and not speech_text:
            raise EmofaceError("no speech given; upload or record audio, or type text to speak")
        name = _download_name(image)
        motion, render = page_options({**fields, "emotion": spec})
        request = dataclasses.replace(request, output=out / f"{name}.mp4", audio=None if speech_text else audio,
                                      say=speech_text, motion=motion, render=render, track=out / f"{name}.csv",
                                      glb=out / f"{name}.glb")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                run_request(request, progress=hook, motion_worker=models.worker if models else None)
            except BrokenProcessPool:
                models.lost_worker()
                run_request(request, progress=hook)
        said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    except EmofaceError as err:
        return {"error": request.message(err, _labels(spec))}
    return {"video": str(request.output), "csv": str(request.track), "glb": str(request.glb), "warnings": said}


def page_options(fields: dict[str, Any]) -> tuple[Any, Any]:
    """The motion and render options of the page's widget values: numbers
    come back from the widgets as floats, whole-number options are rounded."""
    from ..options import MotionOptions, RenderOptions, option_types, split

    kinds = option_types(MotionOptions, RenderOptions)
    typed = {k: round(float(v)) if kinds[k] is int and v is not None else v for k, v in fields.items()}
    motion, render = split(typed, MotionOptions, RenderOptions)
    return motion, render


def _labels(emotion: str = "") -> dict[str, str]:
    """The page's fields as it labels them: the emotion by the widget that
    gave it, the table (keyframes, ``2.5:happy``) or the menu (a bare label)."""
    return {**LABELS, "emotion": TIMELINE if ":" in emotion else LABELS["emotion"]}


def _download_name(image: str) -> str:
    """The name the downloads share: the portrait's, as uploaded (me.jpg
    gives me.mp4, me.csv and me.glb), for each run has a folder of its own."""
    return Path(image).stem.strip()[:100] or "talk"


KEYFRAME_HEADERS = ["from (s)", "emotion", "intensity (0-1)"]


def keyframe_spec(rows: Any) -> str:
    """The ``--emotion`` keyframes of the page's table, e.g. ``0:neutral,
    2.5:happy@0.8``; empty when the table is. Rows left blank are skipped;
    an empty intensity takes the slider's."""
    from ..drivers.emotion import parse_emotion
    from ..errors import OptionError

    if hasattr(rows, "values"):  # a pandas frame
        rows = rows.values.tolist()
    keys = []
    for n, row in enumerate(rows or [], 1):
        start, emotion, intensity = (list(row) + [None] * 3)[:3]
        blank = [v is None or str(v).strip() in ("", "nan") for v in (start, emotion, intensity)]
        if all(blank):
            continue
        if blank[1]:
            raise OptionError(f"{TIMELINE}, row {n}: no emotion; write one of {', '.join(EMOTIONS)}")
        try:
            at = 0.0 if blank[0] else float(start)
            mix = str(emotion).strip() + ("" if blank[2] else f"@{float(intensity):g}")
        except ValueError:
            raise OptionError(f"{TIMELINE}, row {n}: 'from' is seconds and 'intensity' 0 to 1, "
                              f"as numbers") from None
        key = f"{at:g}:{mix}"
        try:  # each row alone, so that a mistake names its row (an empty intensity is the slider's, in range)
            parse_emotion(key)
        except OptionError as err:
            raise OptionError(err.named({"emotion": f"{TIMELINE}, row {n}"})) from None
        keys.append(key)
    return ", ".join(keys)


def _preview(path: str | None):
    """The uploaded portrait for the preview box, or nothing if it is not a picture."""
    from ..errors import InputError
    from ..media.image import load_image

    try:
        return load_image(path) if path else None
    except InputError:
        return None


#: How long the page keeps an upload or a result (seconds).
KEEP_SECONDS = 3600


def _forget_old_jobs(folder: Path) -> None:
    """Remove the page's job folders older than :data:`KEEP_SECONDS`."""
    import shutil
    import time

    for job in folder.glob("job-*"):
        if time.time() - job.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(job, ignore_errors=True)


def option_widget(gr: Any, name: str) -> Any:
    """The page's widget for option ``name``, from its declaration: its
    default, its range as a slider, its choices as buttons."""
    from dataclasses import fields

    from ..options import MotionOptions, RenderOptions, option_types

    f = next(f for cls in (MotionOptions, RenderOptions) for f in fields(cls) if f.name == name)
    kind, meta = option_types(MotionOptions, RenderOptions)[name], f.metadata
    common = {"value": f.default, "label": LABELS[name], "elem_id": name}
    if name == "emotion":  # a grammar (mixtures, keyframes) whose menu is the labels; the table gives keyframes
        return gr.Dropdown(list(EMOTIONS), **common)
    if "choices" in meta:
        return gr.Radio(list(meta["choices"]), **common)
    if "range" in meta:
        lo, hi = meta["range"]
        return gr.Slider(lo, hi, step=1 if kind is int or hi - lo > 20 else 0.05, **common)
    return gr.Number(precision=0 if kind is int else None, **common)


def _input_widgets(gr: Any, folder: Path) -> tuple[Any, ...]:
    """The left column's inputs, in the current layout block: the portrait
    (and its preview), the speech, the text, the keyframe table and the
    option widgets (in :data:`PAGE_OPTIONS` order)."""
    # A file box, not an image box: a file that is not a picture reaches emoface,
    # which says what is wrong with it, instead of failing inside the widget.
    image = gr.File(label="Portrait (jpg, png, webp)", type="filepath",
                    value=_example_portrait(folder), elem_id="portrait")
    preview = gr.Image(label="Portrait preview", interactive=False, height=220,
                       value=_example_portrait(folder), elem_id="preview")
    audio = gr.Audio(label="Speech (upload or record)", sources=["upload", "microphone"],
                     type="filepath", elem_id="speech")
    say = gr.Textbox(label="...or text to speak", placeholder="Hello! Nice to meet you.",
                     elem_id="say")
    emotion = option_widget(gr, "emotion")
    # One row per change of emotion, eased in from its time on.
    timeline = gr.Dataframe(value=[[None, "", None]] * 3, headers=KEYFRAME_HEADERS,
                            datatype=["number", "str", "number"], type="array",
                            column_count=3, row_count=3,
                            interactive=True, elem_id="timeline",
                            label="Emotion over time (optional; overrides the emotion): "
                                  "from which second, which emotion, how strong")
    options = [emotion, option_widget(gr, "intensity")]
    with gr.Accordion("More", open=False):
        options += [option_widget(gr, name) for name in PAGE_OPTIONS[2:]]
    return image, preview, audio, say, timeline, options


def _live_tab(gr: Any, folder: Path) -> None:
    """The Live tab, in the current layout block: the portrait talks as the
    microphone (or a wav, played as if spoken) is heard. The pictures come
    over WebRTC, or the WebSocket where WebRTC fails (live_page.js); the
    example portrait is stored for it now, so Start works at once."""
    import hashlib
    import html
    import shutil

    photo = Path(_example_portrait(folder))
    pid = hashlib.md5(photo.read_bytes()).hexdigest()  # a portrait id, as POST /v1/portraits gives
    store = folder / "portraits"
    store.mkdir(parents=True, exist_ok=True)
    if not (store / f"{pid}.png").exists():
        shutil.copyfile(photo, store / f"{pid}.png")
    emotions = "".join(f"<option>{html.escape(e)}</option>" for e in EMOTIONS)
    gr.HTML(LIVE_HTML.format(example=pid, emotions=emotions),
            js_on_load=(Path(__file__).with_name("live_page.js")).read_text(), elem_id="live")


#: The Live tab's controls; its script (live_page.js) finds them by id.
LIVE_HTML = """
<div data-example="{example}" style="display:grid;grid-template-columns:minmax(220px,1fr) 2fr;gap:16px">
 <div style="display:flex;flex-direction:column;gap:8px">
  <label>Portrait (leave empty for the example) <input id="live-portrait" type="file" accept="image/*"></label>
  <label>Speech <select id="live-source"><option value="mic">Microphone</option>
   <option value="file">A wav file, played as if spoken</option></select></label>
  <input id="live-wav" type="file" accept="audio/*" hidden>
  <label>Emotion <select id="live-emotion">{emotions}</select></label>
  <label>Intensity <input id="live-intensity" type="range" min="0" max="1" step="0.05" value="1"></label>
  <label>Transport <select id="live-transport"><option value="auto">WebRTC (WebSocket if it fails)</option>
   <option value="webrtc">WebRTC</option><option value="websocket">WebSocket</option></select></label>
  <div><button id="live-start" class="lg primary">Start</button> <button id="live-stop" class="lg" disabled>Stop</button></div>
  <p id="live-status">Press Start, allow the microphone, and speak.</p>
 </div>
 <div><video id="live-video" autoplay playsinline style="width:100%;max-width:512px" hidden></video>
  <canvas id="live-canvas" style="width:100%;max-width:512px" hidden></canvas></div>
</div>
"""


def build_app(data_dir: str | Path | None = None):
    """The Gradio Blocks app (not launched). It starts a worker process, so
    a script that calls this needs the ``if __name__ == "__main__":`` guard
    of Python's multiprocessing (without one, the worker cannot start:
    multiprocessing says so once, and the page makes the motion itself)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    folder = Path(data_dir or tempfile.mkdtemp(prefix="emoface-ui-"))
    folder.mkdir(parents=True, exist_ok=True)
    system = ["ui-sans-serif", "system-ui", "sans-serif"]
    theme = gr.themes.Default(font=system, font_mono=["ui-monospace", "monospace"])
    models = Models()

    def generate(image, audio, say, timeline, *values, progress=gr.Progress()):
        try:
            fields = dict(zip(PAGE_OPTIONS, values))
            fields["emotion"] = keyframe_spec(timeline) or fields["emotion"]
        except EmofaceError as err:
            return None, None, None, f"**{ERROR_PREFIX.strip()}** {err.named(_labels())}"
        _forget_old_jobs(folder)
        result = run_job(image, audio, say, fields, folder, progress, models)
        if "error" in result:
            return None, None, None, f"**{ERROR_PREFIX.strip()}** {result['error']}"
        files = [result["video"], result["csv"], result["glb"]]
        notes = "".join(f"\n\n**Note:** {w}" for w in result["warnings"])
        return (result["video"], files, result["glb"],
                "Done: play it below, or download the video, the ARKit curves (CSV) and the 3D face (GLB)." + notes)

    # Uploads and results are people's faces and voices: Gradio's copies go
    # after an hour, and serve() removes everything when the page stops.
    with gr.Blocks(title="emoface", analytics_enabled=False, delete_cache=(600, KEEP_SECONDS)) as app:
        gr.Markdown("# emoface\nMake a portrait talk, offline, on a CPU.")
        with gr.Tab("Video", elem_id="tab-video"):
            with gr.Row():
                with gr.Column():
                    image, preview, audio, say, timeline, options = _input_widgets(gr, folder)
                    go = gr.Button("Generate", variant="primary", elem_id="generate")
                with gr.Column():
                    status = gr.Markdown(elem_id="status")
                    video = gr.Video(label="Video", height=480, elem_id="video")
                    files = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
                    model = gr.Model3D(label="3D face", height=360, camera_position=(90, 90, 0.35),
                                       elem_id="model3d")
            image.change(_preview, image, preview)
            go.click(generate, [image, audio, say, timeline, *options], [video, files, model, status])
        with gr.Tab("Live", elem_id="tab-live"):
            _live_tab(gr, folder)
    app.emoface_theme = theme  # Gradio 6 takes the theme at launch
    app.emoface_folder = folder
    return app


def serve(host: str = "127.0.0.1", port: int = 7860, data_dir: str | Path | None = None) -> None:
    """Start the page and block until interrupted (Ctrl-C, or SIGTERM as
    kill, systemd and docker stop send it: both end it the same way, so the
    worker and its forkserver go with the page)."""
    import shutil
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def interrupt(signum, frame):  # noqa: ARG001
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, interrupt)
    # Gradio's uploads in a folder of this page's own, gone when it stops
    # (unless the user chose where they go).
    uploads = None
    if "GRADIO_TEMP_DIR" not in os.environ:
        uploads = tempfile.mkdtemp(prefix="emoface-uploads-")
        os.environ["GRADIO_TEMP_DIR"] = uploads
    folder = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="emoface-ui-"))
    try:
        _launch(build_app(folder), host, port)
    finally:
        if uploads is not None:
            shutil.rmtree(uploads, ignore_errors=True)
        if data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


def _launch(app, host: str, port: int) -> None:
    server, _, _ = app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, share=False, inbrowser=False, show_error=False, quiet=True,
        theme=app.emoface_theme, prevent_thread_lock=True)
    add_live_routes(server, app.emoface_folder)
    app.block_thread()


def add_live_routes(server: Any, folder: Path, live_sessions: int = 1) -> None:
    """The service's live endpoints (``/v1/portraits``, ``/v1/live``,
    ``/v1/live/offer``) on the page's own server, for the Live tab: its
    portraits kept in the page's folder, ``live_sessions`` drawn at once."""
    from .service import live_router
    from .settings import ServiceOptions

    server.include_router(live_router)
    server.state.opts = ServiceOptions(data_dir=folder, live_sessions=live_sessions)
    server.state.live = 0
