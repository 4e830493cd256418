"""Emotions on photos that smile with their teeth (docs/images/smiling_emotions.jpg):
each public-domain portrait that smiles with parted lips (the astronaut,
Obama) as photographed, then under fearful, angry, sad and disgusted at 0.5
and 1.0 (still renders, the lips as each recipe sets them); the rows of an
earlier version of the code (``--before REV``) above this tree's.

Run: .venv/bin/python benchmarks/smiling_emotions.py [--before REV]   (after scripts/portraits.sh)
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

PORTRAITS = ("astronaut", "obama")
ASKED = (("fearful", 0.5), ("fearful", 1.0), ("angry", 0.5), ("sad", 0.5), ("disgusted", 0.5), ("disgusted", 1.0))
SIDE = 200


def tiles() -> np.ndarray:
    """(portraits, 1 + len(ASKED), SIDE, SIDE, 3): each photo, then each emotion's render."""
    import cv2
    from emotion_panel import face_tile
    from portraits import PORTRAITS as ALL
    from portraits import load

    from emoface.drivers.emotion import recipe_vector
    from emoface.pipeline import prepare_portrait

    zero = np.zeros(6, np.float32)
    out = []
    for name in PORTRAITS:
        photo = load(next(p for p in ALL if p.name == name))
        r = prepare_portrait(photo)
        row = [face_tile(photo)] + [face_tile(r.render(recipe_vector(e) * level, zero)) for e, level in ASKED]
        out.append([cv2.resize(t, (SIDE, SIDE), interpolation=cv2.INTER_AREA) for t in row])
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", help="also this git revision's renders, above this tree's")
    ap.add_argument("--tiles", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tiles:
        np.savez_compressed(args.tiles, tiles=tiles())
        return
    with tempfile.TemporaryDirectory() as tmp:
        before = None
        if args.before:
            with worktree(args.before) as tree:
                before = in_tree(tree, __file__, [], Path(tmp) / "before.npz")
        after = in_tree(ROOT, __file__, [], Path(tmp) / "after.npz")
    rows = [r for k in range(len(PORTRAITS)) for r in ((before[k],) if before is not None else ()) + (after[k],)]
    print(figure(rows, "smiling_emotions.jpg"))


if __name__ == "__main__":
    main()
