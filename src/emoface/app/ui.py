"""The web page: upload a photo and a voice (or type what to say), pick an
emotion, press a button, watch and download. A Gradio app, thin over the
pipeline, that works with no network (no CDN fonts or scripts).

Run: ``emoface ui`` (http://127.0.0.1:7860).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import EmofaceError
from ..options import EMOTIONS

#: What the page says when a run fails on a user's input (the one line the CLI prints).
ERROR_PREFIX = "Could not make the video: "
#: The page's fields by option (or input) name, as the page labels them:
#: its messages name them so, where the CLI's would say --head-motion.
LABELS = {"say": "Text to speak", "emotion": "Emotion", "intensity": "Intensity", "mouth_gain": "Mouth gain",
          "expression_gain": "Expression gain", "head_motion": "Head motion",
          "blinks_per_minute": "Blinks per minute", "gaze": "Gaze", "seed": "Seed",
          "max_side": "Output size (longest side)"}
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


def run_job(image: str | None, audio: str | None, say: str, emotion: str, intensity: float,
            mouth_gain: float, expression_gain: float, head_motion: float, blinks: float, gaze: str,
            seed: float, max_side: float, out_dir: str | Path, progress: Any = None,
            models: Models | None = None) -> dict[str, Any]:
    """One generate call from the page's fields; returns the files made, or
    ``{"error": "..."}`` for a user mistake (never raises for one)."""
    from concurrent.futures.process import BrokenProcessPool

    from .. import pipeline
    from ..export import save_track
    from ..options import MotionOptions, RenderOptions

    def hook(step: str, done: int, total: int) -> None:
        if progress is not None and total:
            progress(done / total, desc=step)

    import warnings

    out = Path(tempfile.mkdtemp(prefix="job-", dir=out_dir))
    said: list[str] = []
    spec = (emotion or "").strip() or "neutral"
    try:
        if not image:
            raise EmofaceError("no portrait given; upload a photo with a face, or use the example")
        speech_text = (say or "").strip() or None
        if not audio and not speech_text:
            raise EmofaceError("no speech given; upload or record audio, or type text to speak")
        name = _download_name(image)
        motion = MotionOptions(emotion=spec, intensity=float(intensity), mouth_gain=float(mouth_gain),
                               expression_gain=float(expression_gain), head_motion=float(head_motion),
                               blinks_per_minute=float(blinks), gaze=gaze, seed=int(seed))
        render = RenderOptions(max_side=int(max_side))

        def make(worker) -> pipeline.Result:
            return pipeline.generate(image, audio if not speech_text else None, output=out / f"{name}.mp4",
                                     say=speech_text, motion=motion, render=render, glb=out / f"{name}.glb",
                                     motion_worker=worker, progress=hook)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = make(models.worker if models else None)
            except BrokenProcessPool:
                models.lost_worker()
                res = make(None)
        said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        save_track(res.track, out / f"{name}.csv")
    except EmofaceError as err:
        return {"error": _name_uploads(_page_message(err, spec), image, audio)}
    return {"video": str(res.path), "csv": str(out / f"{name}.csv"), "glb": str(out / f"{name}.glb"),
            "warnings": [_name_uploads(w, image, audio) for w in said]}


def _page_message(err: EmofaceError, emotion: str = "") -> str:
    """``err`` in the page's words: each field by its label, and the emotion
    by the widget that gave it, the table (keyframes, ``2.5:happy``) or the
    menu (a bare label)."""
    return err.named({**LABELS, "emotion": TIMELINE if ":" in emotion else LABELS["emotion"]})


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


def _name_uploads(message: str, image: str | None, audio: str | None) -> str:
    """Uploads live under temporary paths; a message names them as the user knows them."""
    for path, what in ((image, "the portrait"), (audio, "the speech")):
        if path:
            message = message.replace(str(path), f"{what} ({Path(path).name})")
    return message


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

    def generate(image, audio, say, emotion, timeline, intensity, mouth_gain, expression_gain, head_motion,
                 blinks, gaze, seed, max_side, progress=gr.Progress()):
        try:
            spec = keyframe_spec(timeline) or emotion
        except EmofaceError as err:
            return None, None, None, f"**{ERROR_PREFIX.strip()}** {_page_message(err)}"
        _forget_old_jobs(folder)
        result = run_job(image, audio, say, spec, intensity, mouth_gain,
                         expression_gain, head_motion, blinks, gaze, seed, max_side, folder, progress, models)
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
        with gr.Row():
            with gr.Column():
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
                emotion = gr.Dropdown(list(EMOTIONS), value="happy", label=LABELS["emotion"], elem_id="emotion")
                # One row per change of emotion, eased in from its time on.
                timeline = gr.Dataframe(value=[[None, "", None]] * 3, headers=KEYFRAME_HEADERS,
                                        datatype=["number", "str", "number"], type="array",
                                        column_count=3, row_count=3,
                                        interactive=True, elem_id="timeline",
                                        label="Emotion over time (optional; overrides the emotion): "
                                              "from which second, which emotion, how strong")
                intensity = gr.Slider(0, 1, value=0.7, step=0.05, label=LABELS["intensity"])
                with gr.Accordion("More", open=False):
                    mouth_gain = gr.Slider(0, 2, value=1.0, step=0.05, label=LABELS["mouth_gain"])
                    expression_gain = gr.Slider(0, 2, value=1.0, step=0.05, label=LABELS["expression_gain"])
                    head_motion = gr.Slider(0, 2, value=1.0, step=0.05, label=LABELS["head_motion"])
                    blinks = gr.Slider(0, 60, value=15, step=1, label=LABELS["blinks_per_minute"])
                    gaze = gr.Radio(["camera", "wander", "still"], value="camera", label=LABELS["gaze"])
                    seed = gr.Number(value=0, precision=0, label=LABELS["seed"])
                    max_side = gr.Slider(256, 1920, value=1024, step=16, label=LABELS["max_side"])
                go = gr.Button("Generate", variant="primary", elem_id="generate")
            with gr.Column():
                status = gr.Markdown(elem_id="status")
                video = gr.Video(label="Video", height=480, elem_id="video")
                files = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
                model = gr.Model3D(label="3D face", height=360, camera_position=(90, 90, 0.35),
                                   elem_id="model3d")
        image.change(_preview, image, preview)
        go.click(generate, [image, audio, say, emotion, timeline, intensity, mouth_gain, expression_gain,
                            head_motion, blinks, gaze, seed, max_side], [video, files, model, status])
    app.emoface_theme = theme  # Gradio 6 takes the theme at launch
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
    app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, share=False,
                                                  inbrowser=False, show_error=False, quiet=True,
                                                  theme=app.emoface_theme)
