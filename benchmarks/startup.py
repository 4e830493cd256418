"""Where a short clip's time goes: `emoface generate` on a 5 s clip, stage by stage.

Each run is a fresh process (a user's cold start: imports, model loads and
all). Stages, in the order `generate` runs them: importing emoface, reading
the speech, importing MediaPipe and building the face tracker, tracking the
portrait, the renderer's set-up (rig fit, head mask, background plate), the
motion (phone recognition, eyes, head, expression), then rendering and
encoding (one stage: frames stream to the encoder). The last line is the
whole command, timed from outside.

Run: .venv/bin/python benchmarks/startup.py  (writes a section of docs/benchmarks.md)
"""

from __future__ import annotations

import json

import numpy as np
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from doc_sections import splice  # noqa: E402
CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav")
RUNS = 5

# Run in the child: the stages of pipeline.generate, timed one by one.
_CHILD = r"""
import json, sys, time
t = [time.perf_counter()]
def mark(): t.append(time.perf_counter())
import emoface
from emoface import pipeline
from emoface.options import MotionOptions, RenderOptions
mark()
speech = pipeline.load_speech(sys.argv[1], None, None, MotionOptions())
mark()
from emoface.face.tracker import FaceTracker
FaceTracker().close()
mark()
from emoface.face.tracker import track_portrait
from emoface.media.image import load_image
photo = load_image(sys.argv[2])
face = track_portrait(photo)
mark()
from emoface.render import PortraitRenderer
renderer = PortraitRenderer(photo, face, RenderOptions().size)
mark()
track = pipeline.make_track(speech, MotionOptions())
mark()
pipeline.render_video(renderer, track, sys.argv[3], speech.audio, RenderOptions())
mark()
print(json.dumps([b - a for a, b in zip(t, t[1:])] + [speech.audio.duration]))
"""
PAGE_RUNS = 6


def page_requests(photo: str, out: str) -> dict[str, list[float]]:
    """The web page's requests (its default fields, video + CSV + GLB) in one
    long-lived process: with the page's kept models, and with nothing kept
    but the imports, alternating."""
    from emoface.app.ui import Models, run_job

    models = Models()
    times: dict[str, list[float]] = {"kept": [], "plain": []}
    for i in range(2 * PAGE_RUNS + 1):
        kept = i % 2 == 0
        t0 = time.perf_counter()
        made = run_job(photo, str(CLIP), "", "happy", 0.7, 1.0, 1.0, 1.0, 15, "camera", 0, 1024, out,
                       None, models if kept else None)
        assert "video" in made, made
        times["kept" if kept else "plain"].append(time.perf_counter() - t0)
    return times


STAGES = ["import emoface", "read speech", "import MediaPipe, build tracker", "track portrait",
          "renderer set-up", "motion", "render + encode"]


def main() -> None:
    import tempfile

    from PIL import Image
    import skimage.data

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "portrait.png"
        Image.fromarray(skimage.data.astronaut()).save(photo)
        out = Path(tmp) / "talk.mp4"
        stages, whole = [], []
        for _ in range(RUNS):
            run = subprocess.run([sys.executable, "-c", _CHILD, str(CLIP), str(photo), str(out)],
                                 capture_output=True, text=True, check=True)
            stages.append(json.loads(run.stdout.strip().splitlines()[-1]))
            t0 = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "emoface"), "--quiet", "generate", "--image",
                            str(photo), "--audio", str(CLIP), "-o", str(out)], check=True, capture_output=True)
            whole.append(time.perf_counter() - t0)
        run = subprocess.run([sys.executable, __file__, "--page", str(photo), tmp], capture_output=True,
                             text=True, check=True)
        page = json.loads(run.stdout.strip().splitlines()[-1])
    best = [min(s[i] for s in stages) for i in range(len(STAGES))]
    duration = stages[0][-1]
    lines = ["## Short clips: where the time goes", "",
             f"`benchmarks/startup.py` on {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}: `emoface generate` of a {duration:.1f} s LibriVox clip on a "
             "512x512 portrait (default options), each run a fresh process; best of "
             f"{RUNS} for each stage (the stages run one after another here, the motion included).", "",
             "| stage | seconds |", "|---|---|"]
    lines += [f"| {name} | {sec:.2f} |" for name, sec in zip(STAGES, best)]
    med = float(np.median(whole))
    from emoface.options import MotionOptions

    per_frame = 1000 * best[STAGES.index("render + encode")] / round(duration * MotionOptions().fps)
    lines += [f"| **`emoface generate`, whole command** | **{min(whole):.2f}** best, {med:.2f} median "
              f"({min(whole) / duration:.2f}x / {med / duration:.2f}x the clip's length) |", "",
              "The motion runs in a forked process while the tracker starts and the renderer sets up, so in "
              "the whole command it costs next to nothing; frames render two at a time while the encoder "
              "runs beside them. What is left is start-up (Python, NumPy, SciPy, OpenCV and MediaPipe "
              f"imports, the tracker's model) and {per_frame:.0f} ms a frame with the encoder. From run to run the whole "
              "command varies by a few tenths of a second on this machine.", ""]
    first, kept, plain = page["kept"][0], float(np.median(page["kept"][1:])), float(np.median(page["plain"]))
    lines += ["The web page (`emoface ui`) runs in one long-lived process: its imports are paid once, and it "
              "keeps the portrait tracker loaded and a worker process (started with the page) in which each "
              "request's motion is made while the portrait is prepared. A request with the page's default "
              f"fields (happy, video + CSV + 3D face) on the same clip and portrait, median of {PAGE_RUNS}:", "",
              "| the page's request | seconds | x the clip's length |", "|---|---|---|",
              f"| first, just after start-up | {first:.2f} | {first / duration:.2f}x |",
              f"| later, models kept | {kept:.2f} | {kept / duration:.2f}x |",
              f"| later, nothing kept but the imports | {plain:.2f} | {plain / duration:.2f}x |", ""]
    print("\n".join(lines))
    splice(ROOT / "docs" / "benchmarks.md", lines[0], lines[1:])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--page"]:
        print(json.dumps(page_requests(sys.argv[2], sys.argv[3])))
    else:
        main()
