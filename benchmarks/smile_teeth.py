"""Real smiles beside the same readings drawn on the same man's neutral frame
(docs/images/smile_teeth.jpg): the FG-net speaker smiling at 153.6-156 s of
franck.mp4 (top); his first frame, a neutral face, driven by the capture's
readings of those frames as they are (absolute), by an earlier version of
the code (``--before REV``, middle) and by this one (bottom). Mouth crops,
the real ones cut around the real mouth, the renders around the rendered.

Run: .venv/bin/python benchmarks/smile_teeth.py [--before REV]   (after scripts/portraits.sh)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from pair_panel import figure, in_tree, worktree  # noqa: E402
from portraits import CACHE  # noqa: E402
from reenact_eval import Clip, segment  # noqa: E402

START, FRAMES = 153.6, (0, 10, 20, 30, 40, 50, 60)
SIDE = 200


def _first_frame(video: Path) -> np.ndarray:
    from emoface.media.video import open_video

    _, frames = open_video(video)
    try:
        return next(frames)
    finally:
        frames.close()


def tiles(real: bool) -> np.ndarray:
    """The real mouths (``real``) or their readings drawn on frame 0, (N, SIDE, SIDE, 3)."""
    import cv2

    from mouth_panel import mouth_tile

    from emoface.drivers.capture import capture_video
    from emoface.pipeline import prepare_portrait

    with tempfile.TemporaryDirectory() as tmp:
        clip, seen = segment(Clip("smile", "franck.mp4", START, "tune"), Path(tmp))
        cap = capture_video(clip, keep_landmarks=True)
        out = []
        if real:
            for i in FRAMES:
                out.append(mouth_tile(seen[i], cap.landmarks[i]))
        else:
            r = prepare_portrait(_first_frame(CACHE / "videos" / "franck.mp4"))
            zero = np.zeros(6, np.float32)
            for i in FRAMES:
                crop, _ = r.render_crop(cap.coefficients[i], zero)
                out.append(mouth_tile(crop, r.vertices(cap.coefficients[i], zero)[:, :2] * np.array([1, -1])))
    return np.array([cv2.resize(np.ascontiguousarray(t), (SIDE, SIDE), interpolation=cv2.INTER_AREA) for t in out])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", help="also this git revision's renders, between the real and this tree's")
    ap.add_argument("--tiles", help=argparse.SUPPRESS)
    ap.add_argument("--real", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tiles:
        np.savez_compressed(args.tiles, tiles=tiles(args.real))
        return
    rows = [tiles(real=True)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            with worktree(args.before) as tree:
                rows.append(in_tree(tree, __file__, [], Path(tmp) / "before.npz"))
    rows.append(tiles(real=False))
    print(figure(rows, "smile_teeth.jpg"))


if __name__ == "__main__":
    main()
