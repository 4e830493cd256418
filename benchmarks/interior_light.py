"""Light inside the opened mouth, from its middle to its corners, and its
teeth: renders against real speaking mouths.

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
mesh, and portraits that show no teeth opened as far (another's mouth
drawn in); of each, the first were looked at while the interior was set,
the others were not.

The teeth's light: the lightest twentieth inside the inner lips over the
skin around the lips, real frames parted past 0.3 against portraits that
show no teeth with their jaw opened (teeth made for them are lit from the
skin around their lips: set from the lips alone, they read as a grey
smudge in a light-skinned photo).

The fine detail inside the mouth (teeth edges, the lips' inner line) over
the face's around it, as the renderer measures both
(emoface.render.mouth_bank.fine_detail): real frames parted past 0.3, tune
and held-out clips apart, against portraits that show no teeth. Writes its
section of docs/mouths.md.

Run: .venv/bin/python benchmarks/interior_light.py  (after scripts/portraits.sh)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doc_sections import splice  # noqa: E402
from jaw_shape import OPEN, lips_in_frame, parted, profile  # noqa: E402
from mouth_panel import LIPS, opened  # noqa: E402
from portraits import EXPRESSIONS, PORTRAITS, load  # noqa: E402

from emoface.render.mouth import _luma as luma_of, _skin_around  # noqa: E402
from emoface.render.mouth_bank import OUTLINE, _frame_of, fine_detail, high_pass  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACROSS = (0.0, 0.5, 0.7, 0.85)
LOOKED_AT = ("chuck", "astronaut", "queen", "obama")
NOT_LOOKED_AT = ("feat_smile", "franck_smile", "posed_happy")
JAWS = (0.6, 0.85)
#: Real frames parted at least this far (the middle's gap over half the
#: inner width) are compared: the renders part about 0.7 to 1.1.
WIDE = 0.6
#: Portraits that show no teeth, for the teeth's light: the first four were
#: looked at while the teeth's light was set, the others were not.
PLAIN_LOOKED_AT = ("audrey", "grace_hopper", "rihanna", "sean_connery")
PLAIN_NOT_LOOKED_AT = ("biden", "franck", "walter")
PLAIN_JAWS = (0.4, 0.6, 0.8)


def _luma(image: np.ndarray) -> np.ndarray:
    return luma_of(image[..., :3].astype(np.float32))


def _spot(luma: np.ndarray, q: np.ndarray, size: int = 3) -> float:
    return float(cv2.getRectSubPix(luma, (size, size), (float(q[0]), float(q[1]))).mean())


def light_across(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Light halfway between the inner lips at each of ACROSS, over the lower lip's."""
    p = np.asarray(points, np.float64)[:, :2]
    luma = _luma(image)
    (uu, vu), (ul, vl), (centre, along, down, half) = lips_in_frame(p)
    lip = _spot(luma, (p[14] + p[17]) / 2)
    out = []
    for u in ACROSS:
        sides = [_spot(luma, centre + half * (x * along + (np.interp(x, uu, vu) + np.interp(x, ul, vl)) / 2 * down))
                 for x in (-u, u)]
        out.append(np.mean(sides) / max(lip, 1.0))
    return np.array(out)


def teeth_light(image: np.ndarray, points: np.ndarray) -> float | None:
    """The lightest twentieth inside the inner lips (the teeth, where they
    show) over the skin around the lips, as the renderer sets made teeth
    against it (emoface.render.mouth._skin_around), or None when the lips
    part too little."""
    p = np.asarray(points, np.float64)[:, :2]
    luma = _luma(image)
    mask = np.zeros(luma.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(p[OUTLINE]).astype(np.int32)], 1)
    inside = luma[mask > 0]
    if len(inside) < 30:
        return None
    skin = _skin_around(image[..., :3], p[LIPS])
    if skin is None:
        return None
    return float(np.percentile(inside, 95) / max(float(luma_of(skin)), 1.0))


def detail_ratio(image: np.ndarray, points: np.ndarray) -> float | None:
    """The mean fine detail inside the inner lips over the face's in a ring
    around the mouth, or None when the lips part too little."""
    outline = np.asarray(points, np.float64)[OUTLINE, :2]
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    x0, y0 = np.floor(outline.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 3
    face = fine_detail(image, (x0, y0, x1, y1), _frame_of(outline)[3])
    if mask.sum() < 30 or face <= 0:
        return None
    return float(high_pass(_luma(image))[mask > 0].mean() / face)


def _portrait(name: str) -> np.ndarray:
    return load({p.name: p for p in PORTRAITS + EXPRESSIONS}[name])


def rendered(name: str) -> list[np.ndarray]:
    found = []
    for jaw, (crop, points) in zip(JAWS, opened(_portrait(name), JAWS)):
        print(f"{name} at {jaw}: parted {profile(points)[0]:.2f}")
        found.append(light_across(crop, points))
    return found


def table(head: str, rows: list[tuple[str, int, np.ndarray]]) -> list[str]:
    lines = [head, "|---|---|" + "---|" * (head.count("|") - 3)]
    for label, n, values in rows:
        lines.append(f"| {label} | {n} | " + " | ".join(f"{v:.2f}" for v in np.atleast_1d(values)) + " |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    frames = [(frame, points) for role in ("tune", "held out") for frame, points in parted(role)]
    real = [light_across(f, p) for f, p in frames if profile(p)[0] >= WIDE]
    rows = [("real speaking mouths", len(real), np.median(real, axis=0))]
    for label, names in (("toothy portraits, looked at", LOOKED_AT),
                         ("toothy portraits, not looked at", NOT_LOOKED_AT),
                         ("portraits showing no teeth, looked at", PLAIN_LOOKED_AT),
                         ("portraits showing no teeth, not looked at", PLAIN_NOT_LOOKED_AT)):
        made = [x for n in names for x in rendered(n)]
        rows.append((f"{label} ({', '.join(names)})", len(made), np.median(made, axis=0)))
    teeth_real = [t for f, p in frames if (t := teeth_light(f, p)) is not None]
    teeth_rows = [("real speaking mouths", len(teeth_real), np.percentile(teeth_real, [25, 50, 75]))]
    for label, names in (("looked at", PLAIN_LOOKED_AT), ("not looked at", PLAIN_NOT_LOOKED_AT)):
        made = [t for n in names for crop, points in opened(_portrait(n), PLAIN_JAWS)
                if (t := teeth_light(crop, points)) is not None]
        teeth_rows.append((f"portraits showing no teeth, {label} ({', '.join(names)})", len(made),
                           np.percentile(made, [25, 50, 75])))
    body = ["", "Halfway between the inner lips, the light at the middle and at 0.5, 0.7 and 0.85 of the",
            "way to a corner, over the lower lip's (medians). Real: the reenactment clips' frames parted",
            f"at least {WIDE} (the middle's gap over half the inner width, as far as the renders part).",
            "Renders: portraits smiling with their teeth, opened past them, and portraits showing no",
            "teeth, another's mouth drawn in (jawOpen 0.6 and 0.85).",
            "Produced by `benchmarks/interior_light.py`.", "",
            *table("| mouths | n | " + " | ".join(f"u = {u}" for u in ACROSS) + " |", rows), "",
            "The teeth's light: the lightest twentieth inside the inner lips over the skin around the",
            f"mouth (quartiles). Real: the reenactment clips' frames parted past {OPEN}. Renders: portraits",
            "that show no teeth, their jaw opened to " + ", ".join(map(str, PLAIN_JAWS)) + ".", "",
            *table("| mouths | n | 25 % | median | 75 % |", teeth_rows)]
    detail_rows = []
    for role in ("tune", "held out"):
        found = [d for f, p in parted(role) if (d := detail_ratio(f, p)) is not None]
        detail_rows.append((f"real speaking mouths, {role} clips", len(found), np.percentile(found, [25, 50, 75])))
    for label, names in (("looked at", PLAIN_LOOKED_AT), ("not looked at", PLAIN_NOT_LOOKED_AT)):
        made = [d for n in names for crop, points in opened(_portrait(n), PLAIN_JAWS)
                if (d := detail_ratio(crop, points)) is not None]
        detail_rows.append((f"portraits showing no teeth, {label} ({', '.join(names)})", len(made),
                            np.percentile(made, [25, 50, 75])))
    body += ["", "The fine detail inside the inner lips (teeth edges, the lips' inner line) over the face's",
             "in a ring around the mouth (quartiles), as the renderer measures both: real frames parted",
             f"past {OPEN}, against portraits that show no teeth, their jaw opened to "
             + ", ".join(map(str, PLAIN_JAWS)) + ".", "",
             *table("| mouths | n | 25 % | median | 75 % |", detail_rows)]
    splice(ROOT / "docs" / "mouths.md", "## Light inside the opened mouth", body)


if __name__ == "__main__":
    main()
