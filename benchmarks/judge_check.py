"""Baseline of the two expression judges on the real portraits (benchmarks/judges.py).

Each photo is judged as it is: the face box from emoface's tracker, then each
judge's own crop. Run after ``bash scripts/portraits.sh``:

    .venv/bin/python benchmarks/judge_check.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import judges  # noqa: E402
import portraits  # noqa: E402


def main() -> None:
    face_api, fer = judges.judges()
    rows = [("portrait", "split / posed", "face px", "face-api top", "FER top")]
    for p in portraits.PORTRAITS + portraits.EXPRESSIONS:
        img = portraits.load(p)
        box = judges.face_box(img)
        cells = []
        for judge in (face_api, fer):
            probs = judge(img, box)
            top = max(probs, key=probs.get)
            mark = "" if p.split in ("tune", "held-out") else (" ok" if top == p.split else " MISS")
            cells.append(f"{top} {probs[top]:.2f}{mark}")
        rows.append((p.name, p.split, f"{box[2] - box[0]:.0f}", *cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
