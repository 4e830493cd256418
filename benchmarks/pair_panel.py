"""A blind paired panel: the same crops rendered by an earlier version of the
code and by this one, side by side, sides at random, the key kept apart
(docs/panels/NAME.png, NAME_key.json).

Asked which of each pair looks more like a real photo (all are renders,
and viewers are told so), a viewer compares like with like: more sensitive
to a change than a mixed panel, where viewers differ more than versions
do. :func:`score` reads the answers (lines like ``3: B, 2, ...``: the side,
then how sure, 1-3).

Crops: ``happy`` (the lower face at happy 0.5 and 1.0), ``surprised``,
``sad`` or ``fearful`` (the face at 0.5 and 1.0), ``speech`` (the mouth
with the jaw alone at 0.3 and 0.5) or ``open`` (likewise at 0.65 and 0.85),
still renders of held-out portraits, named as in benchmarks/portraits.py or
given as an image file (the PsychoPy speaker's closed mouth that
benchmarks/mouth_panel.py writes, a soft, compressed video frame).
The earlier version runs from a git worktree of ``--before``.

Run: python benchmarks/pair_panel.py NAME --before REV [--kind KIND] [--portraits a,b,IMAGE,...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from panel import PANELS  # noqa: E402

SIDE = 220
LEVELS = {"happy": (0.5, 1.0), "surprised": (0.5, 1.0), "sad": (0.5, 1.0), "fearful": (0.5, 1.0),
          "speech": (0.3, 0.5), "open": (0.65, 0.85)}
JAW_ONLY = ("speech", "open")


def tiles(kind: str, names: list[str]) -> np.ndarray:
    """(N, SIDE, SIDE, 3) uint8 crops, with whatever ``emoface`` imports."""
    import cv2

    from portraits import PORTRAITS, load

    from emoface.drivers.emotion import recipe_vector
    from emoface.motion import ARKIT_NAMES
    from emoface.pipeline import prepare_portrait

    out = []
    zero = np.zeros(6, np.float32)
    known = {p.name: p for p in PORTRAITS}
    for name in names:
        r = prepare_portrait(load(known[name]) if name in known else Path(name))
        for level in LEVELS[kind]:
            c = r.baseline.copy()
            if kind in JAW_ONLY:
                c[ARKIT_NAMES.index("jawOpen")], c[ARKIT_NAMES.index("mouthClose")] = level, 0.0
            else:
                c = np.clip(c + recipe_vector(kind) * level, 0, 1)
            crop, _ = r.render_crop(c, zero)
            moved = r.vertices(c, zero)[:, :2] * np.array([1, -1])
            if kind == "happy" or kind in JAW_ONLY:  # the lower face
                corners = moved[61], moved[291]
                width = float(np.linalg.norm(corners[0] - corners[1]))
                (cx, cy), s = (corners[0] + corners[1]) / 2, (2.2 if kind == "happy" else 1.5) * width
            else:  # the face, brows to chin
                top, chin = r._src2d[151], moved[152]
                (cx, cy), s = (top + chin) / 2 + [0, 0.05 * (chin[1] - top[1])], 1.25 * float(chin[1] - top[1])
            t = crop[max(0, int(cy - 0.55 * s)):int(cy + 0.45 * s), max(0, int(cx - s / 2)):int(cx + s / 2)]
            out.append(cv2.resize(np.ascontiguousarray(t), (SIDE, SIDE),
                                  interpolation=cv2.INTER_AREA if t.shape[0] > SIDE else cv2.INTER_CUBIC))
    return np.array(out)


def in_tree(tree: Path, script: str | Path, args: list[str], out: Path, key: str | None = "tiles"):
    """The tiles ``script --tiles OUT ARGS`` saves, rendered by the code in
    ``tree`` (its own process, that tree's ``src`` first on the path); with
    ``key`` None, every array it saved (a dict)."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    subprocess.run([sys.executable, str(script), "--tiles", str(out), *args], check=True, env=env, cwd=tree)
    saved = np.load(out)
    return dict(saved) if key is None else saved[key]


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """A checkout of git revision ``rev`` (with this tree's .cache) for the block."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), rev],
                              capture_output=True, text=True)
        if made.returncode:
            raise SystemExit(f"--before {rev!r}: not a revision of {ROOT}; give a commit, tag or branch "
                             "(git log --oneline lists them)")
        try:
            (tree / ".cache").symlink_to(ROOT / ".cache")
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)


def figure(rows: list[np.ndarray], name: str) -> Path:
    """Rows of tiles (each (N, S, S, 3) uint8) stacked into docs/images/NAME (JPEG)."""
    import cv2

    path = ROOT / "docs" / "images" / name
    grid = np.vstack([np.hstack(list(r)) for r in rows])
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def sheet(name: str, before: np.ndarray, after: np.ndarray, seed: int, meta: dict) -> Path:
    import cv2

    rng = np.random.default_rng(seed)
    rows, key = [], {}
    for n, (b, a) in enumerate(zip(before, after), 1):
        flip = bool(rng.integers(2))
        left, right = (a, b) if flip else (b, a)
        key[str(n)] = {"A": "after" if flip else "before", "B": "before" if flip else "after"}
        row = np.full((SIDE + 30, 2 * SIDE + 60, 3), 255, np.uint8)
        row[30:, SIDE + 28:SIDE + 32] = 160
        row[30:, :SIDE], row[30:, SIDE + 60:] = left, right
        for text, x in ((f"{n}A", 4), (f"{n}B", SIDE + 64)):
            cv2.putText(row, text, (x, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
        rows.append(np.hstack([row, np.full((row.shape[0], 50, 3), 255, np.uint8)]))
    cols = 3
    while len(rows) % cols:
        rows.append(np.full_like(rows[0], 255))
    gap = np.full((20, cols * rows[0].shape[1], 3), 255, np.uint8)
    grid = np.vstack([np.vstack([np.hstack(rows[i:i + cols]), gap]) for i in range(0, len(rows), cols)])
    path = PANELS / f"{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    (PANELS / f"{name}_key.json").write_text(json.dumps({"pairs": key, **meta}, indent=1) + "\n")
    return path


def score(name: str, answers: str) -> dict[str, float]:
    """How often a viewer picked the later version: over all pairs, and over
    the pairs they were sure of (2 or 3)."""
    key = json.loads((PANELS / f"{name}_key.json").read_text())["pairs"]
    said = {m[1]: (key[m[1]][m[2]], int(m[3])) for m in re.finditer(r"(?m)^\D*(\d+)\W+([AB])\W+([1-3])", answers)
            if m[1] in key}
    sure = [v for v, c in said.values() if c >= 2]
    return {"after picked": float(np.mean([v == "after" for v, _ in said.values()])) if said else float("nan"),
            "after picked when sure": float(np.mean([v == "after" for v in sure])) if sure else float("nan"),
            "sure": len(sure), "answered": len(said) / len(key)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", nargs="?")
    ap.add_argument("--before", help="the git revision to compare with")
    ap.add_argument("--kind", choices=sorted(LEVELS), default="happy")
    ap.add_argument("--portraits", default="franck,audrey,walter,sean_connery,rihanna,queen")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--tiles", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = args.portraits.split(",")
    from portraits import PORTRAITS

    known = {p.name for p in PORTRAITS}
    unknown = sorted(n for n in set(names) - known if not Path(n).is_file())
    if unknown:
        ap.error(f"--portraits {', '.join(unknown)}: no such portrait in benchmarks/portraits.py nor image "
                 f"file; give some of {', '.join(p.name for p in PORTRAITS)}, or image files")
    if args.tiles:
        np.savez_compressed(args.tiles, tiles=tiles(args.kind, names))
        return
    if not args.name or not args.before:
        ap.error("give a NAME and --before REV")
    # Image files by their full path: the earlier version runs in another directory.
    names = [n if n in known else str(Path(n).resolve()) for n in names]
    what = ["--kind", args.kind, "--portraits", ",".join(names)]
    with tempfile.TemporaryDirectory() as tmp:
        with worktree(args.before) as tree:
            before = in_tree(tree, __file__, what, Path(tmp) / "before.npz")
        after = in_tree(ROOT, __file__, what, Path(tmp) / "after.npz")
    meta = {"before": args.before, "kind": args.kind, "portraits": names, "levels": LEVELS[args.kind]}
    print(sheet(args.name, before, after, args.seed, meta))


if __name__ == "__main__":
    main()
