"""Light inside the opened mouth, from its middle to its corners: renders
against real speaking mouths.

Halfway between the inner lips, at u = 0, 0.5, 0.7 and 0.85 of the way
from the middle to a corner (both sides averaged), the light (luma) over
the lower lip's. Real mouths darken toward the corners (the buccal
corridor) but stay lit, about two thirds of the middle's light; a cut-out
ends in black wedges there.

Real: every other frame of the 8 s clips of benchmarks/reenact_eval.py
parted at least 0.6 (the middle's gap over half the inner width, as far
as the renders part), tune and held-out clips together
(:func:`jaw_shape.parted`). Renders: portraits that smile with their teeth
opened past them (jawOpen 0.6 and 0.85), the mouth read off the moved
mesh; the first four were looked at while the interior was set, the
others were not. Writes its section of docs/mouths.md.

Run: .venv/bin/python benchmarks/interior_light.py  (after scripts/portraits.sh)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doc_sections import splice  # noqa: E402
from jaw_shape import parted, profile  # noqa: E402
from mouth_panel import opened  # noqa: E402
from portraits import EXPRESSIONS, PORTRAITS, load  # noqa: E402

from emoface.face import regions as R  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACROSS = (0.0, 0.5, 0.7, 0.85)
LOOKED_AT = ("chuck", "astronaut", "queen", "obama")
NOT_LOOKED_AT = ("feat_smile", "franck_smile", "posed_happy")
JAWS = (0.6, 0.85)
#: Real frames parted at least this far (the middle's gap over half the
#: inner width) are compared: the renders part about 0.7 to 1.1.
WIDE = 0.6


def light_across(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Light halfway between the inner lips at each of ACROSS, over the lower lip's."""
    p = np.asarray(points, np.float64)[:, :2]
    luma = image[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    up, lo = p[list(R.LIPS_UPPER_INNER)], p[list(R.LIPS_LOWER_INNER)]
    left, right = up[0], up[-1]
    half = np.linalg.norm(right - left) / 2
    along = (right - left) / (2 * half)
    down = np.array([-along[1], along[0]]) * np.sign(along[0] or 1.0)
    centre = (left + right) / 2

    def curve(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = (pts - centre) @ along / half, (pts - centre) @ down / half
        order = np.argsort(u)
        return u[order], v[order]

    (uu, vu), (ul, vl) = curve(up), curve(lo)

    def at(q: np.ndarray) -> float:
        return float(cv2.getRectSubPix(luma, (3, 3), (float(q[0]), float(q[1]))).mean())

    lip = at((p[14] + p[17]) / 2)
    out = []
    for u in ACROSS:
        sides = [at(centre + half * (x * along + (np.interp(x, uu, vu) + np.interp(x, ul, vl)) / 2 * down))
                 for x in (-u, u)]
        out.append(np.mean(sides) / max(lip, 1.0))
    return np.array(out)


def rendered(name: str) -> list[np.ndarray]:
    found = []
    for jaw, (crop, points) in zip(JAWS, opened(load({p.name: p for p in PORTRAITS + EXPRESSIONS}[name]), JAWS)):
        print(f"{name} at {jaw}: parted {profile(points)[0]:.2f}")
        found.append(light_across(crop, points))
    return found


def main() -> None:
    real = [light_across(frame, points) for role in ("tune", "held out") for frame, points in parted(role)
            if profile(points)[0] >= WIDE]
    rows = [("real speaking mouths", len(real), np.median(real, axis=0))]
    for label, names in (("toothy portraits, looked at", LOOKED_AT), ("toothy portraits, not looked at", NOT_LOOKED_AT)):
        made = [x for n in names for x in rendered(n)]
        rows.append((f"{label} ({', '.join(names)})", len(made), np.median(made, axis=0)))
    body = ["", "Halfway between the inner lips, the light at the middle and at 0.5, 0.7 and 0.85 of the",
            "way to a corner, over the lower lip's (medians). Real: the reenactment clips' frames parted",
            f"at least {WIDE} (the middle's gap over half the inner width, as far as the renders part).",
            "Renders: portraits smiling with their teeth, opened past them (jawOpen 0.6 and 0.85).",
            "Produced by `benchmarks/interior_light.py`.", "",
            "| mouths | n | " + " | ".join(f"u = {u}" for u in ACROSS) + " |",
            "|---|---|" + "---|" * len(ACROSS)]
    for label, n, values in rows:
        body.append(f"| {label} | {n} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
        print(body[-1], flush=True)
    splice(ROOT / "docs" / "mouths.md", "## Light inside the opened mouth", body)


if __name__ == "__main__":
    main()
