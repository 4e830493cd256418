"""A blind panel of mouths: real talking-video frames and renders at many
openings, mixed (docs/panels/mouths.png, the key apart; benchmarks/panel.py).

Real mouths: frames of two clips the mouth bank was not built from (cap12's
webcam speaker; PsychoPy's test movie, a bearded man). Renders: portraits the
bank has never seen (Grace Hopper, Audrey Hepburn, the
bearded man's closed mouth, a man smiling with his teeth) with the jaw at
0.15-0.85. The bearded man's portrait is the clip's most closed frame among
those coded like the rest (`settled_closed_frame`): its key frames, the
first among them, are coded blockier than the frames around them, and the
real frames beside the renders come from the rest.

With ``--sheet``: a contact sheet instead (docs/images/mouth_openings.png):
each portrait's mouth at jawOpen 0.2, 0.5 and 0.8, beside real mouths whose
jaw the tracker reads at the same openings (the capture's reading).

Run: .venv/bin/python benchmarks/mouth_panel.py [NAME | --sheet]  (after scripts/portraits.sh)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from panel import make_panel  # noqa: E402
from portraits import CACHE  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.media.video import open_video  # noqa: E402
from emoface.motion import ARKIT_NAMES  # noqa: E402
from emoface.pipeline import prepare_portrait  # noqa: E402

LIPS = list(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER)


def mouth_tile(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The mouth and chin, square, from tracked points (pixels)."""
    lips = points[LIPS, :2]
    (x0, y0), (x1, y1) = lips.min(axis=0), lips.max(axis=0)
    side = 1.9 * (x1 - x0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * side
    a, b = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    return image[b:int(cy + side / 2), a:int(cx + side / 2)]


def _gap(points: np.ndarray) -> float:
    """The inner lips' gap over the mouth's inner width."""
    p = points[:, :2]
    return float(np.linalg.norm(p[13] - p[14]) / np.linalg.norm(p[78] - p[308]))


def mouths_by_opening(tracker: FaceTracker, video: str, step: int, until: int | None = None
                      ) -> list[tuple[float, np.ndarray]]:
    """(lip gap over mouth width, mouth tile) of every ``step``-th frame of a
    video (up to frame ``until``), most closed first."""
    _, frames = open_video(CACHE / "videos" / video)
    found = []
    for i, frame in enumerate(frames):
        if until is not None and i > until:
            break
        if i % step:
            continue
        faces = tracker.track(frame)
        if faces:
            found.append((_gap(faces[0].landmarks), mouth_tile(frame, faces[0].landmarks)))
    found.sort(key=lambda f: f[0])
    return found


def block_edges(frame: np.ndarray) -> float:
    """How much stronger the steps across the coder's 8-pixel block edges are
    than those within blocks (1 for no blocking)."""
    steps = np.abs(np.diff(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32), axis=1)).mean(axis=0)
    return float(steps[7::8].mean() / np.delete(steps, np.s_[7::8]).mean())


def settled_closed_frame(tracker: FaceTracker, video: str) -> tuple[int, np.ndarray]:
    """The most closed-mouthed frame (its index and pixels) among those no
    blockier than the clip's median frame."""
    _, frames = open_video(CACHE / "videos" / video)
    found = []
    for i, frame in enumerate(frames):
        faces = tracker.track(frame)
        if faces:
            found.append((block_edges(frame), _gap(faces[0].landmarks), i, frame))
    median = float(np.median([f[0] for f in found]))
    _, _, index, frame = min((f for f in found if f[0] <= median), key=lambda f: f[1])
    return index, frame


def real_mouths(tracker: FaceTracker, video: str, count: int, seed: int) -> list[np.ndarray]:
    found = mouths_by_opening(tracker, video, 4)
    # Spread over the openings the clip shows, biased to open mouths.
    at = np.random.default_rng(seed).choice(np.arange(len(found) // 3, len(found)), count, replace=False)
    return [found[k][1] for k in at]


def opened(path: Path | np.ndarray, jaws: tuple[float, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The portrait's face crop with its jaw alone opened to each of
    ``jaws``, and the moved mesh's points in it (pixels)."""
    r = prepare_portrait(path)
    found = []
    for jaw in jaws:
        c = r.baseline.copy()
        c[ARKIT_NAMES.index("jawOpen")] = jaw
        c[ARKIT_NAMES.index("mouthClose")] = 0
        crop, _ = r.render_crop(c, np.zeros(6, np.float32))
        found.append((crop, r.vertices(c, np.zeros(6, np.float32))[:, :2] * np.array([1, -1])))
    return found


def rendered_mouths(path: Path | np.ndarray, jaws: tuple[float, ...]) -> list[np.ndarray]:
    return [mouth_tile(crop, moved) for crop, moved in opened(path, jaws)]


SHEET_JAWS = (0.2, 0.5, 0.8)
SHEET_PORTRAITS = {"woman": "extra/audrey.jpg", "bearded man": "extra/walter.jpg",
                   "toothy smile": "extra/feat_smile.jpg", "older face": "grace_hopper.jpg",
                   "dark skin": "extra/rihanna.jpg", "astronaut": None, "older man, beard": "extra/sean_connery.jpg"}


def real_at_openings(tracker: FaceTracker, jaws: tuple[float, ...]) -> list[np.ndarray]:
    """For each opening, the real frame (of any clip) whose jaw the capture
    reads nearest to it."""
    from emoface.drivers.capture import _JAW_READ_GAIN

    best: list[tuple[float, np.ndarray | None]] = [(np.inf, None)] * len(jaws)
    for video in ("franck.mp4", "cap12.mp4", "cap13.mp4", "psychopy.mp4"):
        _, frames = open_video(CACHE / "videos" / video)
        for i, frame in enumerate(frames):
            if i % 3:
                continue
            faces = tracker.track(frame)
            if not faces:
                continue
            jaw = min(faces[0].score("jawOpen") * _JAW_READ_GAIN, 1.0)
            for k, target in enumerate(jaws):
                if abs(jaw - target) < best[k][0]:
                    best[k] = (abs(jaw - target), mouth_tile(frame, faces[0].landmarks))
    return [tile for _, tile in best]


def openings_sheet(out: Path) -> Path:
    import skimage.data

    side = 180
    fit = lambda t: cv2.resize(np.ascontiguousarray(t), (side, side), interpolation=cv2.INTER_AREA)  # noqa: E731
    with FaceTracker(max_faces=1) as tracker:
        rows = [("real", [fit(t) for t in real_at_openings(tracker, SHEET_JAWS)])]
    for label, name in SHEET_PORTRAITS.items():
        image = skimage.data.astronaut() if name is None else CACHE / name
        rows.append((label, [fit(t) for t in rendered_mouths(image, SHEET_JAWS)]))
    label_w = 150
    sheet = np.full((28 + side * len(rows), label_w + side * len(SHEET_JAWS), 3), 255, np.uint8)
    for k, jaw in enumerate(SHEET_JAWS):
        cv2.putText(sheet, f"jawOpen {jaw:.1f}", (label_w + k * side + 40, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 0), 1, cv2.LINE_AA)
    for r, (label, tiles) in enumerate(rows):
        y = 28 + r * side
        cv2.putText(sheet, label, (6, y + side // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        for k, tile in enumerate(tiles):
            sheet[y:y + side, label_w + k * side:label_w + (k + 1) * side] = tile
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return out


def main() -> None:
    if sys.argv[1:] == ["--sheet"]:
        print(f"sheet: {openings_sheet(Path(__file__).resolve().parents[1] / 'docs/images/mouth_openings.png')}")
        return
    closed = CACHE / "videos" / "psychopy_closed.png"
    with FaceTracker(max_faces=1) as tracker:
        index, frame = settled_closed_frame(tracker, "psychopy.mp4")
        real = real_mouths(tracker, "cap12.mp4", 5, 1) + real_mouths(tracker, "psychopy.mp4", 5, 2)
    print(f"bearded man: psychopy.mp4 frame {index}")
    cv2.imwrite(str(closed), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    made = []
    for path, jaws in ((CACHE / "grace_hopper.jpg", (0.3, 0.7)), (CACHE / "extra" / "audrey.jpg", (0.2, 0.6)),
                       (CACHE / "extra" / "feat_smile.jpg", (0.15, 0.5)), (closed, (0.25, 0.45, 0.65, 0.85))):
        made += rendered_mouths(path, jaws)
    print(f"panel: {make_panel(sys.argv[1] if len(sys.argv) > 1 else 'mouths', real, made, seed=3)}")


if __name__ == "__main__":
    main()
