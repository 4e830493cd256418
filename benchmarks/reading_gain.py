"""How far the tracker's reading of each expression shape rises when the rig
renders it at 1.0, on the "tune" portraits: the figures behind
``emoface.face.tracker.READING_GAIN``, which puts a real face's reading (a
``--expression-from`` photo) on the rig's scale.

MediaPipe's landmark detector follows a warped photo only part of the way
(docs/rig.md), so a rendered shape reads lower than the same shape on a real
face. Prints, per channel, the median rise and each portrait's, and the
dict to paste (channels whose median rise is under 0.15 are left out: no
measure of their scale).

Run: python benchmarks/reading_gain.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portraits import PORTRAITS, load  # noqa: E402

from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.motion import ARKIT_NAMES, layer_mask  # noqa: E402
from emoface.options import RenderOptions  # noqa: E402
from emoface.pipeline import prepare_portrait  # noqa: E402

MEASURED = 0.15


def rises() -> dict[int, list[float]]:
    """Channel index -> the reading's rise over the rest render, per portrait."""
    out: dict[int, list[float]] = {int(i): [] for i in np.flatnonzero(layer_mask("expression"))}
    zero = np.zeros(6, np.float32)
    with FaceTracker(video=False, max_faces=1) as tracker:
        for p in PORTRAITS:
            if p.split != "tune":
                continue
            r = prepare_portrait(load(p), RenderOptions())
            rest = tracker.track(r.render(np.zeros(len(ARKIT_NAMES), np.float32), zero))[0].blendshapes
            for i in out:
                c = np.zeros(len(ARKIT_NAMES), np.float32)
                c[i] = 1.0
                found = tracker.track(r.render(c, zero))
                if found:
                    out[i].append(float(found[0].blendshapes[i] - rest[i]))
    return out


def main() -> None:
    gains = {}
    for i, values in rises().items():
        median = float(np.median(values))
        print(f"{ARKIT_NAMES[i]:20s} {median:+.2f}  {np.round(values, 2)}")
        if median >= MEASURED:
            gains[ARKIT_NAMES[i]] = round(median * 20) / 20
    print("READING_GAIN =", gains)


if __name__ == "__main__":
    main()
