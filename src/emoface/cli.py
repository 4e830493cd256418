"""Command line: thin; every command calls the pipeline or a sink.

Flags are derived from the option dataclasses, so defaults live in one place.
A user mistake prints one line (``emoface: error: ...``) and exits 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, NamedTuple

from .errors import EmofaceError
from .app.settings import ServiceOptions
from .options import MotionOptions, RenderOptions, option_types

DEMO_TEXT = ("Hello! I am a portrait that learned to talk. "
             "My lips follow the speech, my head moves, and I blink, all on a plain CPU.")


def _add_options(parser: argparse.ArgumentParser, cls: type, only: tuple[str, ...] | None = None) -> None:
    kinds = option_types(cls)
    group = parser.add_argument_group(cls.__name__)
    for f in fields(cls):
        if only is not None and f.name not in only:
            continue
        kind = kinds[f.name]
        default = f.default if f.default is not MISSING else None
        choices = f.metadata.get("choices")
        extra: dict[str, Any] = {"choices": choices} if choices else {}
        text = f.metadata.get("help", "")
        # An option whose default is "none given" says what that means in its own words.
        if default is not None and "default" not in text:
            text = f"{text} (default: {default})"
        group.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=kind,
                           default=default, metavar=f.name.upper() if not extra else None,
                           help=text, **extra)


def _options(ns: argparse.Namespace, cls: type) -> Any:
    """The options a command was given; those it has no flag for keep their defaults."""
    return cls(**{f.name: getattr(ns, f.name) for f in fields(cls) if hasattr(ns, f.name)})


#: What `render` may change about a saved track: where each layer comes
#: from and how strongly it shows.
RETARGET_OPTIONS = ("mouth_from", "eyes_from", "expression_from", "pose_from", "motion_mode", "driver_reference",
                    "mouth_gain", "expression_gain", "head_motion", "intensity")
#: What `dub` takes from the motion options: how the new speech moves the mouth.
DUB_OPTIONS = ("lipsync", "articulation", "mouth_gain", "seed", "max_audio_seconds")


class _Bar:
    """tqdm bars fed by the pipeline's progress hook, one per step."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, step: str, completed: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(step)
        if bar is None:
            unit = {"rendering": "frame", "capturing": "frame", "jobs": "job"}.get(step, "step")
            bar = self.bars[step] = tqdm(total=total, desc=f"{step:>10}", unit=unit, leave=True)
        bar.update(completed - bar.n)
        if completed >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _speech_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--audio", type=Path, help="speech: wav, flac, ogg, mp3, m4a, aac, webm or a video")
    src.add_argument("--say", help="text to speak with the built-in offline voice instead of --audio")
    p.add_argument("--text", help="transcript of --audio, or a .txt file holding it, for exact "
                   "lip sync (default: a .txt beside the audio, if there is one)")


def _warn(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001
    print(f"emoface: warning: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="emoface", description="Make a portrait talk, offline, on a CPU.")
    from . import __version__

    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--version", action="version", version=f"emoface {__version__}")
    # Every command takes --quiet too, where users type it (after the command).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars")
    sub = p.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, parents=[common], help=command.help))
    return p


def run(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status. Warnings print as one line each."""
    with warnings.catch_warnings():
        warnings.showwarning = _warn
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    from . import pipeline  # noqa: F401  (loaded before the arguments are parsed, as it always was)

    ns = build_parser().parse_args(argv)
    bar = _Bar(not ns.quiet)
    try:
        out = COMMANDS[ns.command].run(ns, bar)
    except EmofaceError as err:
        bar.close()
        print(f"emoface: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        bar.close()
        print("emoface: interrupted; no output written", file=sys.stderr)
        return 130
    if isinstance(out, int):  # serve, ui and batch: their own exit status, nothing to print
        return out
    bar.close()
    print(out)
    return 0


# Each command: `_<name>_args` adds its flags to its parser, and `_<name>`
# runs it: (parsed arguments, progress bars) -> the file it wrote, printed on
# success; or an exit status, for the commands that report for themselves.

def _generate_args(g: argparse.ArgumentParser) -> None:
    g.add_argument("--image", type=Path, required=True, help="portrait photo (jpg, png, webp)")
    _speech_args(g)
    g.add_argument("-o", "--output", type=Path, required=True, help="mp4 to write")
    g.add_argument("--track", type=Path, help="also write the motion that was rendered: .csv (Live Link "
                   "Face), .json or .npz")
    g.add_argument("--glb", type=Path, help="also write the motion as an animated 3D face (.glb), "
                   "textured with the portrait")
    g.add_argument("--preview-3d", dest="preview_3d", type=Path,
                   help="also write a video of the 3D face (.mp4), for a look without a 3D tool")
    g.add_argument("--side-by-side", dest="side_by_side", action="store_true",
                   help="the 3D preview beside the portrait video")
    _add_options(g, MotionOptions)
    _add_options(g, RenderOptions)


def _generate(ns: argparse.Namespace, bar: _Bar) -> Path:
    from .request import GenerateRequest, run_request

    request = GenerateRequest(ns.image, ns.output, ns.audio, ns.say, ns.text, _options(ns, MotionOptions),
                              _options(ns, RenderOptions), track=ns.track, glb=ns.glb, preview=ns.preview_3d,
                              side_by_side=ns.side_by_side)
    return run_request(request, progress=bar).path


def _blendshapes_args(b: argparse.ArgumentParser) -> None:
    _speech_args(b)
    b.add_argument("-o", "--output", type=Path, required=True, help=".csv (Live Link Face), .json, .npz or .npy (EmoTalk: frames x 52)")
    _add_options(b, MotionOptions)


def _blendshapes(ns: argparse.Namespace, bar: _Bar) -> Path:
    from . import pipeline

    pipeline.blendshapes(ns.audio, output=ns.output, say=ns.say, text=ns.text,
                         motion=_options(ns, MotionOptions), progress=bar)
    return ns.output


def _render_args(r: argparse.ArgumentParser) -> None:
    r.add_argument("--image", type=Path, required=True, help="portrait photo (jpg, png, webp) to move")
    r.add_argument("--motion", type=Path, required=True,
                   help="track saved by `emoface blendshapes` or `capture` (.csv, .json, .npz, .npy), "
                        "or a driving video whose face motion is copied")
    r.add_argument("--audio", type=Path, help="speech to mux into the video (default: the driving "
                   "video's own sound, if it has any)")
    r.add_argument("-o", "--output", type=Path, required=True)
    _add_options(r, MotionOptions, RETARGET_OPTIONS)
    _add_options(r, RenderOptions)


def _render(ns: argparse.Namespace, bar: _Bar) -> Path:
    from . import pipeline

    return pipeline.render(ns.image, ns.motion, output=ns.output, audio=ns.audio,
                           motion=_options(ns, MotionOptions), options=_options(ns, RenderOptions),
                           progress=bar)


def _capture_args(c: argparse.ArgumentParser) -> None:
    c.add_argument("video", type=Path, help="any video with a visible face (a webcam recording too)")
    c.add_argument("-o", "--output", type=Path, required=True, help=".csv (Live Link Face), .json, .npz or .npy (EmoTalk: frames x 52)")
    c.add_argument("--face-model", dest="face_model", help="path to face_landmarker.task (default: bundled)")


def _capture(ns: argparse.Namespace, bar: _Bar) -> Path:
    from . import pipeline

    pipeline.capture(ns.video, output=ns.output, face_model=ns.face_model, progress=bar)
    return ns.output


def _export_3d_args(x: argparse.ArgumentParser) -> None:
    x.add_argument("--motion", type=Path, required=True,
                   help="track (.csv, .json, .npz, .npy) or a driving video")
    x.add_argument("--image", type=Path, help="portrait to texture the face with (default: plain skin)")
    x.add_argument("-o", "--output", type=Path, required=True, help=".glb to write")
    x.add_argument("--preview-3d", dest="preview_3d", type=Path, help="also a video of the 3D face (.mp4)")
    x.add_argument("--audio", type=Path, help="speech to mux into the preview")
    _add_options(x, RenderOptions, ("face", "face_model"))


def _export_3d(ns: argparse.Namespace, bar: _Bar) -> Path:
    from . import pipeline

    ropts = _options(ns, RenderOptions)
    return pipeline.export_3d(ns.motion, output=ns.output, image=ns.image, face=ropts.face,
                              face_model=ropts.face_model, preview=ns.preview_3d, audio=ns.audio,
                              progress=bar)


def _address_args(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=port, help=f"port (default: {port})")


def _ui_args(w: argparse.ArgumentParser) -> None:
    _address_args(w, 7860)


def _ui(ns: argparse.Namespace, bar: _Bar) -> int:  # noqa: ARG001
    """`emoface ui`: the web page, until stopped."""
    from .app.ui import serve

    print(f"emoface: serving on http://{ns.host}:{ns.port} (Ctrl-C stops)", file=sys.stderr)
    serve(ns.host, ns.port)
    return 0


def _serve_args(v: argparse.ArgumentParser) -> None:
    _address_args(v, 8000)
    _add_options(v, ServiceOptions)


def _serve(ns: argparse.Namespace, bar: _Bar) -> int:  # noqa: ARG001
    """`emoface serve`: the REST service, until stopped."""
    import os

    from .app.service import serve

    if ns.api_key is None:
        ns.api_key = os.environ.get("EMOFACE_API_KEY") or None
    opts = _options(ns, ServiceOptions)
    if opts.api_key is None and ns.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"emoface: warning: serving on {ns.host} without an API key: anyone who can reach this "
              "machine can use it; give --api-key or set EMOFACE_API_KEY", file=sys.stderr)
    print(f"emoface: serving the API on http://{ns.host}:{ns.port} (docs at /docs)", file=sys.stderr)
    serve(opts, ns.host, ns.port)
    return 0


def _dub_args(u: argparse.ArgumentParser) -> None:
    u.add_argument("--video", type=Path, required=True, help="video of a person talking (mp4, mov, mkv, webm, avi)")
    _speech_args(u)
    u.add_argument("-o", "--output", type=Path, required=True, help="mp4 to write")
    _add_options(u, MotionOptions, DUB_OPTIONS)
    _add_options(u, RenderOptions, ("crf", "face_model"))


def _dub(ns: argparse.Namespace, bar: _Bar) -> Path:
    from . import pipeline

    return pipeline.dub(ns.video, ns.audio, output=ns.output, say=ns.say, text=ns.text,
                        motion=_options(ns, MotionOptions), render=_options(ns, RenderOptions),
                        progress=bar).path


def _batch_args(k: argparse.ArgumentParser) -> None:
    k.add_argument("jobs", type=Path, help="CSV, one row per job: image, audio or text (words to speak), "
                   "output (.mp4), and any generate option as a column (emotion, seed, size...); "
                   "paths relative to the CSV's folder")
    k.add_argument("--workers", type=int, help="jobs rendered at once (default: one per core)")
    k.add_argument("--ray", metavar="ADDRESS", help="run the jobs on the Ray cluster at ADDRESS "
                   "(ray://HOST:10001), or `local` to start Ray on this machine; needs emoface[batch]")


def _batch(ns: argparse.Namespace, bar: _Bar) -> int:
    """`emoface batch`: the jobs, then their table; status 1 if any failed."""
    from .app.batch import format_table, run_batch

    try:
        results = run_batch(ns.jobs, workers=ns.workers, ray=ns.ray, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        print("emoface: interrupted; finished jobs are kept, and a rerun skips them", file=sys.stderr)
        return 130
    bar.close()
    print(format_table(results, ns.jobs.resolve().parent))
    failed = sum(r.state == "failed" for r in results)
    if failed:
        print(f"emoface: error: {failed} of {len(results)} jobs failed; fix them and run again "
              "(finished jobs are skipped)", file=sys.stderr)
    return 1 if failed else 0


def _demo_args(d: argparse.ArgumentParser) -> None:
    d.add_argument("-o", "--output", type=Path, default=Path("out/demo.mp4"))
    _add_options(d, MotionOptions)
    _add_options(d, RenderOptions)


def _demo(ns: argparse.Namespace, bar: _Bar) -> Path:
    """The built-in example; a neutral emotion (the default) becomes a mild smile."""
    import skimage.data

    from . import pipeline

    ns.output.parent.mkdir(parents=True, exist_ok=True)
    mopts = _options(ns, MotionOptions)
    if mopts.emotion == "neutral":
        mopts = MotionOptions(**{**{f.name: getattr(mopts, f.name) for f in fields(mopts)},
                                 "emotion": "happy", "intensity": 0.5})
    return pipeline.generate(skimage.data.astronaut(), output=ns.output, say=DEMO_TEXT,
                             motion=mopts, render=_options(ns, RenderOptions), progress=bar).path


class _Command(NamedTuple):
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, _Bar], Path | int]


#: The subcommands, in the order `emoface --help` lists them: what each is
#: for, its flags, and what runs it.
COMMANDS: dict[str, _Command] = {
    "generate": _Command("portrait + speech -> talking video (mp4)", _generate_args, _generate),
    "blendshapes": _Command("speech -> ARKit-52 motion (csv, json, npz)", _blendshapes_args, _blendshapes),
    "render": _Command("a saved motion track, or a driving video, onto a portrait", _render_args, _render),
    "capture": _Command("a video of a face -> ARKit-52 motion (csv, json, npz)", _capture_args, _capture),
    "export-3d": _Command("a motion track -> animated glTF face (.glb)", _export_3d_args, _export_3d),
    "ui": _Command("the web page: upload, pick an emotion, generate, download", _ui_args, _ui),
    "serve": _Command("the REST service: jobs that survive a restart", _serve_args, _serve),
    "dub": _Command("re-sync the lips of a talking-head video to new speech", _dub_args, _dub),
    "batch": _Command("many generate jobs from a CSV, in parallel "
                      "(a process pool, or a Ray cluster); a rerun skips finished jobs", _batch_args, _batch),
    "demo": _Command("render the built-in example (astronaut portrait + synthetic speech)", _demo_args, _demo),
}


def main() -> None:
    from .processes import keep_frame_buffers

    keep_frame_buffers()  # a program's choice, made at its entry (renders 40 % faster on glibc)
    sys.exit(run())


if __name__ == "__main__":
    main()
