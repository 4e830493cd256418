"""The shape of the opened mouth: the rig's jaw against real speaking mouths.

A dropping jaw parts the lips in a curve set by how the lower lip hangs
from the mouth's corners. Measured from the line through the two inner
corners, the lower inner lip lies some share as far below it at half way
(u = 0.5) and four fifths of the way (u = 0.8) to a corner as in the middle:
a box keeps near 1 to the corners, a V falls to 0 or below.

Real: every other frame of the 8 s clips of benchmarks/reenact_eval.py
whose lips part past 0.3 (the middle's gap over half the inner width),
tracked with MediaPipe, tune clips and held-out clips apart. The rig: the
tune and the held-out portraits of benchmarks/portraits.py, the jaw alone
opened until the mesh's lips part as far as the real clips' median, read
off the mesh's own landmarks. Writes docs/jaw.md. The rig's build uses
:func:`real` and :func:`opened_to` to shape the jaw like the tune clips.

Run: .venv/bin/python benchmarks/jaw_shape.py  (after scripts/portraits.sh)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portraits import CACHE, PORTRAITS, load  # noqa: E402
from reenact_eval import CLIPS, SECONDS  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker, track_portrait  # noqa: E402
from emoface.media.video import open_video  # noqa: E402
from emoface.motion import ARKIT_NAMES, N_SHAPES  # noqa: E402
from emoface.render.mouth_bank import OUTLINE, _frame_of  # noqa: E402
from emoface.render.portrait import PortraitRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OPEN = 0.3  # real frames parted less than this are left out
AT = (0.5, 0.8)


def lips_in_frame(points: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple]:
    """The upper and lower inner lip of (478+, 2+) points in image
    coordinates (y down) as (u, v) polylines sorted by u, in the mouth's own
    frame (emoface.render.mouth_bank: half mouth-widths from the middle of
    the inner corners, v down), and that frame (centre, along, down, half)."""
    p = np.asarray(points, np.float64)[:, :2]
    centre, along, down, half = _frame_of(p[OUTLINE])
    if down[1] < 0:
        down = -down

    def curve(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = (pts - centre) @ along / half, (pts - centre) @ down / half
        order = np.argsort(u)
        return u[order], v[order]

    return curve(p[list(R.LIPS_UPPER_INNER)]), curve(p[list(R.LIPS_LOWER_INNER)]), (centre, along, down, half)


def profile(points: np.ndarray) -> np.ndarray:
    """(opening, lower lip at each of AT over the middle's), from (478+, 2+)
    points in image coordinates (y down)."""
    upper, (lu, lv), _ = lips_in_frame(points)
    middle = np.interp(0.0, lu, lv)
    opening = middle - np.interp(0.0, *upper)
    shares = [(np.interp(-a, lu, lv) + np.interp(a, lu, lv)) / 2 / middle for a in AT]
    return np.array([opening, *shares])


def parted(role: str):
    """(frame, tracked points) of every other frame of the clips of
    ``role`` whose lips part past OPEN."""
    with FaceTracker(video=False, max_faces=1) as tracker:
        for clip in (c for c in CLIPS if c.role == role):
            info, frames = open_video(CACHE / "videos" / clip.video)
            for i, frame in enumerate(frames):
                t = i / info.fps
                if t > clip.start + SECONDS:
                    break
                if t < clip.start or i % 2:
                    continue
                faces = tracker.track(frame)
                if faces and profile(faces[0].landmarks)[0] > OPEN:
                    yield frame, faces[0].landmarks
            frames.close()


def real(role: str) -> tuple[int, np.ndarray]:
    """How many frames, and their median :func:`profile`, of the clips of ``role``."""
    found = [profile(points) for _, points in parted(role)]
    return len(found), np.median(np.array(found), axis=0)


LEVELS = np.linspace(0.1, 1.0, 19)  # jawOpen levels searched for a given opening


def opened_to(points_at, opening: float) -> np.ndarray:
    """The :func:`profile` of the mouth ``points_at(level)`` (its points with
    the jaw at one of LEVELS) whose lips part nearest ``opening``."""
    return min((profile(points_at(level)) for level in LEVELS), key=lambda p: abs(p[0] - opening))


def rig(split: str, opening: float) -> np.ndarray:
    """The median :func:`profile` of the portraits of ``split`` with the
    shipped jaw opened until their lips part ``opening``, off the mesh."""
    jaw = ARKIT_NAMES.index("jawOpen")

    def points_at(r: PortraitRenderer, level: float) -> np.ndarray:
        c = np.zeros(N_SHAPES, np.float32)
        c[jaw] = level
        return r.vertices(c, np.zeros(6, np.float32))[:, :2] * np.array([1, -1])

    found = []
    for p in (p for p in PORTRAITS if p.split == split):
        photo = load(p)
        r = PortraitRenderer(photo, track_portrait(photo), 512)
        found.append(opened_to(lambda level: points_at(r, level), opening))
    return np.median(np.array(found), axis=0)


def main() -> None:
    lines = ["# The shape of the opened mouth", "",
             "The lower inner lip's depth below the line through the mouth's inner corners, at half "
             "way and four fifths of the way to a corner, as a share of its depth in the middle "
             "(1 everywhere: a box; 0 or less near the corners: a V). Real speaking mouths parted "
             f"past {OPEN} (the middle's gap over half the inner width), tracked in the 8 s clips of "
             "`benchmarks/reenact_eval.py`; the rig's jaw alone on the portraits of "
             "`benchmarks/portraits.py`, opened as far as the real clips' median, read off its mesh. "
             "Produced by `benchmarks/jaw_shape.py`. The rig's build (`scripts/build_rig.py`, "
             "REAL_SHAPES) keeps as much of the jaw's calibration as brings the tune row nearest the "
             "real one; the held-out row is for reporting.", "",
             "| split | real frames | real opening | real 0.5 / 0.8 | rig 0.5 / 0.8 |",
             "|---|---|---|---|---|"]
    for role, split in (("tune", "tune"), ("held out", "held-out")):
        n, seen = real(role)
        made = rig(split, float(seen[0]))
        row = (f"| {role} | {n} | {seen[0]:.2f} | {seen[1]:.2f} / {seen[2]:.2f} | "
               f"{made[1]:.2f} / {made[2]:.2f} |")
        print(row, flush=True)
        lines.append(row)
    (ROOT / "docs" / "jaw.md").write_text("\n".join(lines) + "\n")
    print("wrote docs/jaw.md")


if __name__ == "__main__":
    main()
