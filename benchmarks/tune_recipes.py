"""Tune the emotion recipes' weights against the two expression judges,
on the "tune" portraits only (the held-out ones are for reporting).

Each emotion keeps its FACS action units (the channels of its row in
``emoface.drivers.emotion.RECIPES``, plus the extras below); only their
weights move, by coordinate search over a coarse grid, to maximise what
face-api and FER read on talking renders at intensities 0.7 and 1.0: the
share of frames recognised plus the mean probability of the asked class.
Prints the tuned rows to paste into RECIPES; look at the renders before
you keep them (the judges will happily reward a grotesque face).

Run: .venv/bin/python benchmarks/tune_recipes.py [EMOTION ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import judges  # noqa: E402
from expression_eval import sample_frames, speech_track  # noqa: E402
from portraits import PORTRAITS, load  # noqa: E402

from emoface.drivers.emotion import RECIPES, eased_expression  # noqa: E402
from emoface.motion import MotionTrack, coefficient_vector  # noqa: E402
from emoface.options import RenderOptions  # noqa: E402
from emoface.pipeline import prepare_portrait  # noqa: E402

GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# An expression's resting jaw drop and lip raise add to speech: past these the
# mouth gapes on every syllable and the lip sync loses its shapes.
CAP = {"jawOpen": 0.35, "mouthUpperUp": 0.6, "mouthStretch": 0.9}
# A raised upper lid under a lowered brow folds the lid skin (seen on renders).
CAP_FOR = {"angry": {"eyeWide": 0.35}, "disgusted": {"eyeWide": 0.0},
           # Surprise is the one emotion whose jaw drop is its defining AU (26/27).
           "surprised": {"jawOpen": 0.5}, "fearful": {"jawOpen": 0.5}}
FRAMES = 8
# Action units an emotion may also recruit (EMFACS variants), beyond its row.
EXTRA = {
    "happy": ("mouthUpperUp", "jawOpen"),
    "sad": ("mouthStretch", "browOuterUp"),
    "angry": ("mouthUpperUp", "mouthStretch", "jawOpen", "cheekSquint"),
    "surprised": ("mouthFunnel", "mouthPucker"),
    "fearful": ("mouthUpperUp", "eyeSquint", "mouthPucker"),
    "disgusted": ("jawOpen", "mouthStretch", "mouthPress"),
}


class Bench:
    def __init__(self) -> None:
        self.base = speech_track()
        self.renderers = [prepare_portrait(load(p), RenderOptions()) for p in PORTRAITS if p.split == "tune"]
        self.boxes = [judges.face_box(r.photo) for r in self.renderers]
        self.judges = judges.judges()

    def score(self, emotion: str, row: dict[str, float]) -> float:
        k = judges.EMOTIONS.index(emotion)
        total = []
        vec = coefficient_vector(row)
        b = self.base
        for level in (0.7, 1.0):
            ex = eased_expression(vec, level, len(b), b.fps)
            track = MotionTrack.from_layers(b.fps, b.layers["mouth"], b.layers["eyes"], ex, b.pose)
            for r, box in zip(self.renderers, self.boxes):
                frames = sample_frames(r, track, FRAMES)
                for j in self.judges:
                    p = j.predict(np.stack([j.crop(f, box) for f in frames]))
                    total.append(float((p.argmax(1) == k).mean()) + float(p[:, k].mean()))
        return float(np.mean(total))


def tune(bench: Bench, emotion: str, passes: int = 2) -> dict[str, float]:
    row = dict(RECIPES[emotion])
    for extra in EXTRA.get(emotion, ()):
        row.setdefault(extra, 0.0)
    best = bench.score(emotion, row)
    print(f"{emotion}: start {best:.3f}", flush=True)
    for _ in range(passes):
        improved = False
        for key in list(row):
            for val in GRID:
                if val == row[key] or val > CAP_FOR.get(emotion, {}).get(key, CAP.get(key, 1.0)):
                    continue
                trial = {**row, key: val}
                s = bench.score(emotion, trial)
                if s > best + 0.01:
                    best, row, improved = s, trial, True
            print(f"  {key:<18} {row[key]:.2f}  score {best:.3f}", flush=True)
        if not improved:
            break
    return {k: v for k, v in row.items() if v > 0}


def main() -> None:
    bench = Bench()
    for emotion in sys.argv[1:] or [e for e in RECIPES if e in judges.EMOTIONS and e != "neutral"]:
        row = tune(bench, emotion)
        print(f'    "{emotion}": {row},', flush=True)


if __name__ == "__main__":
    main()
