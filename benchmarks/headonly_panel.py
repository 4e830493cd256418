"""Blind panel of the head driven alone: the frame of a held-out talking clip
with the widest-open lips (a man smiling with his teeth, braces on them) as
the portrait, the clip's head pose and eyes driving it, the mouth and
expression left as photographed (``--mouth-from none --expression-from
none``). Real frames of the same clips are mixed in; the key is written
apart.

What it shows: whether the photo's own teeth, and the head's outline, go
with the head as the photo has them.

Run: .venv/bin/python benchmarks/headonly_panel.py NAME  (writes docs/panels/NAME*)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from panel import make_panel  # noqa: E402
from reenact_eval import CLIPS, face_box, frames_of_video, lip_gap, read, segment  # noqa: E402

from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.pipeline import render  # noqa: E402

CLIP_NAMES = ("franck_110", "franck_170")
TILES = 3  # real and rendered, each, per clip
WIDE = 1.5  # the crop, in face boxes: hair, ears and collar in view


def wide_crop(frame: np.ndarray, box: tuple[int, int, int]) -> np.ndarray:
    x0, y0, side = box
    big = min(int(round(side * WIDE)), *frame.shape[:2])
    cx, cy = x0 + side // 2, y0 + side // 2
    bx = int(np.clip(cx - big // 2, 0, frame.shape[1] - big))
    by = int(np.clip(cy - big // 2, 0, frame.shape[0] - big))
    return cv2.resize(frame[by:by + big, bx:bx + big], (256, 256), interpolation=cv2.INTER_AREA)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", help="the sheet's name under docs/panels/")
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    real: list[np.ndarray] = []
    made: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as tmp, FaceTracker(max_faces=1) as tracker:
        for clip in (c for c in CLIPS if c.name in CLIP_NAMES):
            driver, truth = segment(clip, Path(tmp))
            # The portrait: the clip's frame with the widest-open lips, its teeth showing.
            readings = read(tracker, truth, (0, 0, 256))
            ref = int(np.nanargmax([lip_gap(r.points) if r.points is not None else np.nan for r in readings]))
            portrait = Path(tmp) / f"{clip.name}_{ref}.png"
            cv2.imwrite(str(portrait), cv2.cvtColor(truth[ref], cv2.COLOR_RGB2BGR))
            box = face_box(readings[ref], truth[ref].shape)
            opts = MotionOptions(mouth_from="none", expression_from="none", eyes_from=str(driver),
                                 driver_reference=str(ref))
            gen = frames_of_video(render(portrait, driver, output=Path(tmp) / f"{clip.name}.mp4", motion=opts))
            # Different frames for the real and the rendered tiles; renders
            # from the half where the head is furthest from the photo's
            # pose, where the warp shows most.
            at = rng.choice(np.arange(12, len(gen)), TILES, replace=False)
            moves = np.array([float(np.abs(g.astype(np.int16) - truth[ref]).mean()) for g in gen])
            far = np.flatnonzero(moves >= np.median(moves))
            picked = rng.choice(np.setdiff1d(far, at), TILES, replace=False)
            real.extend(wide_crop(truth[i], box) for i in at)
            made.extend(wide_crop(gen[i], box) for i in picked)
    print(f"panel: {make_panel(args.name, real, made)}")


if __name__ == "__main__":
    main()
