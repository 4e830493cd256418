"""Expression detail: the creases and bulges a warp cannot draw.

A viewer, and an expression classifier, reads an emotion largely from what
the skin does: forehead lines when the brows rise, the furrow between knitted
brows, crow's feet and the lower-lid bulge of a real smile, the nasolabial
fold, nose wrinkles, the dimpled chin. Film and game rigs drive animated
wrinkle maps from the blendshape weights; this is the 2D equivalent. Each
crease is drawn once per portrait as a map of relative luminance change in
the photo's own (source) pixels, anchored to the canonical face mesh so it
sits where this face's anatomy puts it. Per frame the maps are weighted by
the frame's coefficients (above the photo's own) and multiply the photo
before it is warped: the crease then moves with the skin it is in, the
skin's texture stays the photo's, and nothing flickers or swims.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..motion import N_SHAPES, coefficient_vector

Polyline = tuple[tuple[float, float], ...]

#: Skin roughness (median fine-scale luminance change over the mean, on the
#: forehead and cheeks) of a face in its sixties (biden, sean_connery: 0.016);
#: a young, smooth face measures 0.006-0.009, a face in its eighties 0.025.
#: Creases are drawn at full depth at this roughness, and elsewhere at its
#: ratio to it to the power 1.5 (within the limits below): real folds are
#: faint on smooth skin and deep on lined skin, and a crease darker than the
#: photo's own lines reads as paint (linear, a smooth young face still showed
#: the furrow between its brows as drawn stripes).
ROUGHNESS_REF = 0.016
STRENGTH_RANGE = (0.25, 1.3)
#: Landmarks at the middle of the forehead, both cheeks and the glabella: skin
#: with no feature edge in a frontal photo.
_SKIN_SPOTS = ((151, 0.8), (50, 0.7), (280, 0.7), (9, 0.5))  # landmark, half-size in cm


@dataclass(frozen=True)
class Crease:
    """One fold of skin on the subject's left (or the midline), in canonical cm.

    lines : polylines (x, y) in canonical cm (x to the subject's left, y up)
    drive : ARKit channel -> weight; the crease shows at the weighted sum of
        the channels' rise above the photo's own expression, capped at 1.
        Left-side names are mirrored for the right-side crease.
    width_cm : half-width of the fold's shadow
    depth : darkening at full weight (relative luminance)
    lift : brightening of the raised skin beside the fold
    lift_side : which side of the line's direction the raised skin lies
        (+1: to the left of the direction of travel in the image, y down)
    mottle : the fold is a field of small dimples (the chin), not lines
    """

    name: str
    lines: tuple[Polyline, ...]
    drive: dict[str, float]
    width_cm: float = 0.06
    depth: float = 0.22
    lift: float = 0.06
    lift_side: float = 1.0
    lift_offset: float = 2.2
    mottle: bool = False


def _arc(p0: tuple[float, float], p1: tuple[float, float], bow: float, n: int = 9) -> Polyline:
    """A gently bowed line from p0 to p1; ``bow`` cm sideways at the middle."""
    t = np.linspace(0, 1, n)
    a, b = np.array(p0), np.array(p1)
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(np.linalg.norm(d), 1e-9)
    pts = a + t[:, None] * d + (bow * 4 * t * (1 - t))[:, None] * normal
    return tuple(map(tuple, pts))


# Creases by the action unit that makes them. Positions follow the canonical
# mesh (brows at y 4.1-5.1 cm, eyes at 2.6, nose wing at -1, mouth corners
# at (+-2.46, -4.34), chin at -9.4).
CREASES: tuple[Crease, ...] = (
    # AU1/AU2: horizontal forehead lines, bowed up over each brow.
    Crease("forehead lines",
           tuple(_arc((-3.9, y - 0.25), (3.9, y - 0.25), 0.35, 15) for y in (6.0, 6.65, 7.3)),
           {"browInnerUp": 0.7, "browOuterUpLeft": 0.35, "browOuterUpRight": 0.35},
           width_cm=0.09, depth=0.22, lift=0.04, lift_side=-1.0),
    # AU4: the vertical furrow between knitted brows ("the elevens") and
    # a short horizontal fold at the root of the nose.
    Crease("glabellar furrow",
           (((-0.4, 3.85), (-0.46, 4.3), (-0.5, 4.75)), ((0.4, 3.85), (0.46, 4.3), (0.5, 4.75)),
            ((-0.45, 3.35), (0.0, 3.3), (0.45, 3.35))),
           {"browDownLeft": 0.5, "browDownRight": 0.5},
           width_cm=0.24, depth=0.18, lift=0.015),
    # AU6: crow's feet fanning from the outer eye corner.
    Crease("crow's feet",
           tuple(_arc((4.85, 2.7 + dy * 0.35), (5.9, 2.7 + dy * 0.8), 0.05 * dy, 5) for dy in (-1, 0, 1)),
           {"cheekSquintLeft": 0.8, "eyeSquintLeft": 0.3},
           width_cm=0.05, depth=0.24, lift=0.05),
    # AU6: the lower lid bulges and the infraorbital furrow below it deepens.
    Crease("lower-lid bulge", (_arc((2.3, 1.55), (4.3, 1.75), -0.15, 7),),
           {"cheekSquintLeft": 0.8, "eyeSquintLeft": 0.4},
           width_cm=0.08, depth=0.18, lift=0.10, lift_side=-1.0, lift_offset=2.6),
    # AU12/AU9/AU10: the nasolabial fold from the nose wing past the corner.
    Crease("nasolabial fold", (((1.75, -0.85), (2.25, -1.9), (2.7, -3.1), (2.95, -4.2), (3.0, -5.0)),),
           {"mouthSmileLeft": 0.7, "noseSneerLeft": 0.6, "mouthUpperUpLeft": 0.5,
            "cheekSquintLeft": 0.25, "mouthStretchLeft": 0.2},
           width_cm=0.1, depth=0.3, lift=0.1, lift_side=-1.0),
    # AU9: wrinkles across the nose bridge ("bunny lines"): two soft folds
    # (three thin ones read as painted stripes).
    Crease("nose wrinkles",
           tuple(_arc((0.2, y + 0.15), (1.2, y - 0.3), 0.06, 5) for y in (1.75, 2.35)),
           {"noseSneerLeft": 1.0},
           width_cm=0.11, depth=0.16, lift=0.02),
    # AU15: the corner pulled down casts a short shadow below it.
    Crease("lip-corner shadow", (((2.55, -4.35), (2.75, -5.0), (2.85, -5.7)),),
           {"mouthFrownLeft": 0.8},
           width_cm=0.09, depth=0.26, lift=0.06, lift_side=-1.0),
    # AU14: the dimple beside a tightened corner.
    Crease("dimple", (((2.75, -3.95), (2.92, -4.35), (2.8, -4.75)),),
           {"mouthDimpleLeft": 0.9, "mouthPressLeft": 0.2},
           width_cm=0.07, depth=0.3, lift=0.07, lift_side=-1.0),
    # AU17: the chin boss pushed up: dimpled skin and a deeper fold under the lip.
    Crease("chin dimpling", (_arc((-1.3, -6.15), (1.3, -6.15), -0.25, 9),),
           {"mouthShrugLower": 0.8, "mouthPressLeft": 0.15, "mouthPressRight": 0.15},
           width_cm=0.1, depth=0.22, lift=0.08, lift_side=1.0, mottle=True),
)


def _photo_fold(luma: np.ndarray, box: tuple[int, int, int, int], field: np.ndarray,
                fold: np.ndarray) -> np.ndarray:
    """How much a fold the photo already shows along a crease's line would
    brighten to fill in: the fold profile (h, w) times the photo's own
    darkening there against the skin just beside it (0 where it has none)."""
    x0, y0, x1, y1 = box
    skin = cv2.GaussianBlur(luma[y0:y1, x0:x1], (0, 0), 1.0)
    line = fold > 0.5
    beside = (fold > 0.02) & (fold < 0.15)
    if line.sum() < 4 or beside.sum() < 4:
        return np.zeros_like(fold)
    darker = 1.0 - float(skin[line].mean()) / max(float(skin[beside].mean()), 1.0)
    return (np.clip(darker, 0.0, 0.35) / (1.0 - np.clip(darker, 0.0, 0.35)) * fold).astype(np.float32)


def skin_roughness(luma: np.ndarray, rest_px: np.ndarray, px_per_cm: float) -> float:
    """How lined the photo's skin is: the median absolute fine-scale
    luminance change (detail under about 1.2 mm) over the mean luminance,
    on skin patches of the forehead and cheeks; the median of the patches
    (a fringe of hair or a shadow spoils one, not the figure)."""
    values = []
    h, w = luma.shape
    for index, half_cm in _SKIN_SPOTS:
        x, y = rest_px[index]
        r = max(int(half_cm * px_per_cm), 3)
        x0, y0, x1, y1 = max(int(x) - r, 0), max(int(y) - r, 0), min(int(x) + r, w), min(int(y) + r, h)
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        patch = luma[y0:y1, x0:x1]
        fine = patch - cv2.GaussianBlur(patch, (0, 0), max(0.12 * px_per_cm, 0.5))
        values.append(float(np.median(np.abs(fine))) / max(float(patch.mean()), 1.0))
    return float(np.median(values)) if values else ROUGHNESS_REF


def _mirrored_drive(drive: dict[str, float]) -> dict[str, float]:
    return {n[:-4] + "Right" if n.endswith("Left") else n[:-5] + "Left" if n.endswith("Right") else n: w
            for n, w in drive.items()}


def _on_midline(c: Crease) -> bool:
    xs = np.concatenate([np.array(line)[:, 0] for line in c.lines])
    return bool(xs.min() < 0 < xs.max())


def _barycentric_map(canon: np.ndarray, tris: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point (P, 2) of the canonical front view, the triangle that
    holds it (the front-most one; the nearest for points off the mesh) and
    its barycentric weights (P, 3)."""
    a, b, c = canon[tris[:, 0], :2], canon[tris[:, 1], :2], canon[tris[:, 2], :2]
    v0, v1 = b - a, c - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    ok = np.abs(den) > 1e-9
    den = np.where(ok, den, 1.0)
    d = pts[:, None, :] - a[None]
    w1 = (d[..., 0] * v1[None, :, 1] - v1[None, :, 0] * d[..., 1]) / den
    w2 = (v0[None, :, 0] * d[..., 1] - d[..., 0] * v0[None, :, 1]) / den
    w = np.stack([1 - w1 - w2, w1, w2], axis=-1)  # (P, M, 3)
    outside = np.maximum(-w, 0).sum(-1) + (~ok)[None] * 1e3
    front = canon[tris, 2].mean(axis=1)[None]
    inside = outside < 1e-9
    score = np.where(inside, -front, outside + 1e2)
    best = score.argmin(axis=1)
    return best, w[np.arange(len(pts)), best]


@dataclass
class _Map:
    drive: np.ndarray  # (52,)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in working pixels
    field: np.ndarray  # (h, w) float32 relative luminance change at weight 1
    erase: np.ndarray  # (h, w) float32 brightening that fills in the photo's own fold, at weight -1


class DetailLayer:
    """The crease maps of one portrait, and their per-frame weighting.

    Parameters
    ----------
    image : ndarray (H, W, 3) uint8, the working image (its own folds are
        measured, to fill them in where their expression is taken away)
    canon : ndarray (468, 3) canonical mesh vertices (cm)
    tris : ndarray (M, 3) canonical triangles
    rest_px : ndarray (468, 2) the face's vertices in working pixels (y down)
    px_per_cm : float, the fit's scale
    seed : int, for the chin's dimples (fixed per portrait: no flicker)

    Set ``enabled`` to False to render without creases (to compare).
    """

    SUPER = 4  # maps are drawn at 4x and averaged down: sub-pixel lines

    def __init__(self, image: np.ndarray, canon: np.ndarray, tris: np.ndarray,
                 rest_px: np.ndarray, px_per_cm: float, seed: int = 0) -> None:
        self.shape = image.shape[:2]
        self.enabled = True
        luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        #: How deep this face's creases are drawn, from how lined its skin is.
        self.strength = float(np.clip((skin_roughness(luma, rest_px, px_per_cm) / ROUGHNESS_REF) ** 1.5,
                                      *STRENGTH_RANGE))
        self._maps: list[_Map] = []
        rng = np.random.default_rng(seed)
        for crease in CREASES:
            sides = [(1.0, crease.drive)]
            if not _on_midline(crease):
                sides.append((-1.0, _mirrored_drive(crease.drive)))
            for sx, drive in sides:
                lines = [np.array(line) * np.array([sx, 1.0]) for line in crease.lines]
                flat = np.concatenate(lines)
                tri, w = _barycentric_map(canon, tris, flat)
                px = np.einsum("pk,pkd->pd", w, rest_px[tris[tri]])
                splits = np.cumsum([len(line) for line in lines])[:-1]
                # On the subject's right the line runs mirrored, so its raised side flips too (sx).
                m = self._draw(crease, np.split(px, splits), px_per_cm, sx, rng)
                if m is not None:
                    self._maps.append(_Map(coefficient_vector(drive), m[0], m[1], _photo_fold(luma, *m)))
        self._drives = np.stack([m.drive for m in self._maps]) if self._maps else np.zeros((0, N_SHAPES))
        self._erasable = np.array([bool(m.erase.any()) for m in self._maps], bool)

    def _draw(self, c: Crease, lines: list[np.ndarray], px_per_cm: float, mirror: float,
              rng: np.random.Generator
              ) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None:
        """(box, field, fold profile) of one crease, or None off the image."""
        width = max(c.width_cm * px_per_cm, 0.6)
        pad = int(np.ceil(width * (c.lift_offset + 4) + 3))
        allpts = np.concatenate(lines)
        h, w = self.shape
        x0, y0 = np.maximum(np.floor(allpts.min(axis=0)).astype(int) - pad, 0)
        x1, y1 = np.minimum(np.ceil(allpts.max(axis=0)).astype(int) + pad, [w, h])
        if x1 - x0 < 3 or y1 - y0 < 3:
            return None
        s = self.SUPER
        off = np.array([x0, y0], np.float64)

        def stroke(offset: float) -> np.ndarray:
            canvas = np.zeros(((y1 - y0) * s, (x1 - x0) * s), np.uint8)
            for line in lines:
                d = np.gradient(line, axis=0)
                normal = np.stack([d[:, 1], -d[:, 0]], axis=1) / np.maximum(
                    np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
                p = (line + offset * mirror * normal - off) * s
                # Folds fade out toward their ends.
                taper = np.sin(np.linspace(0.15, np.pi - 0.15, len(p))) ** 0.7
                for i in range(len(p) - 1):
                    v = int(255 * 0.5 * (taper[i] + taper[i + 1]))
                    cv2.line(canvas, tuple(np.round(p[i] * 16).astype(int)),
                             tuple(np.round(p[i + 1] * 16).astype(int)), v, max(1, round(s * 0.6)),
                             cv2.LINE_AA, 4)
            small = cv2.resize(canvas.astype(np.float32) / 255, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
            return small

        fold = cv2.GaussianBlur(stroke(0.0), (0, 0), width)
        fold /= max(float(fold.max()), 1e-6)
        field = -c.depth * self.strength * fold
        if c.lift > 0:
            ridge = cv2.GaussianBlur(stroke(c.lift_side * c.lift_offset * width), (0, 0), 1.6 * width)
            field += c.lift * self.strength * ridge / max(float(ridge.max()), 1e-6)
        if c.mottle:
            # Dimples: a fixed field of small pits, a few per centimetre, inside the chin boss.
            noise = cv2.GaussianBlur(rng.standard_normal((y1 - y0, x1 - x0)).astype(np.float32),
                                     (0, 0), max(0.12 * px_per_cm, 0.8))
            noise /= max(float(np.abs(noise).max()), 1e-6)
            centre = lines[0].mean(axis=0) - off + np.array([0, 0.75 * px_per_cm])
            yy, xx = np.mgrid[0:y1 - y0, 0:x1 - x0]
            disc = np.exp(-(((xx - centre[0]) / (1.3 * px_per_cm)) ** 2
                            + ((yy - centre[1]) / (0.8 * px_per_cm)) ** 2))
            field += c.depth * self.strength * 0.8 * np.minimum(noise, 0.3) * disc
        return (int(x0), int(y0), int(x1), int(y1)), field.astype(np.float32), fold.astype(np.float32)

    def __len__(self) -> int:
        return len(self._maps)

    def weights(self, coeffs: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        """Each crease's strength (K,) in [-1, 1] for one frame: what the
        frame asks beyond the photo's own expression. A photo that already
        frowns keeps its furrow and gets no second one; where the frame
        takes away the expression that made a fold (a smiling photo made
        sad), the weight is negative and the photo's own fold fills in."""
        delta = np.asarray(coeffs, np.float32) - baseline
        return np.clip(self._drives @ delta, -1.0, 1.0)

    def apply(self, image: np.ndarray, coeffs: np.ndarray, baseline: np.ndarray,
              changed: np.ndarray | None = None) -> np.ndarray:
        """``image`` (H, W, 3) uint8 with the frame's creases, a new array
        (or ``image`` itself when no crease shows). Marks the creased pixels
        in ``changed`` (H, W) uint8 when given."""
        if not self.enabled:
            return image
        w = self.weights(coeffs, baseline)
        live = np.flatnonzero((w > 0.01) | ((w < -0.01) & self._erasable))
        if not len(live):
            return image
        boxes = np.array([self._maps[i].box for i in live])
        x0, y0 = boxes[:, :2].min(axis=0)
        x1, y1 = boxes[:, 2:].max(axis=0)
        gain = np.zeros((y1 - y0, x1 - x0), np.float32)
        for i in live:
            m = self._maps[i]
            bx0, by0, bx1, by1 = m.box
            gain[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] += w[i] * m.field if w[i] > 0 else -w[i] * m.erase
        # Folds are shadows in skin: darker and a little warmer (blood shows
        # through less-lit skin), so blue and green fall faster than red.
        tint = np.where(gain[..., None] < 0, np.array([0.8, 1.0, 1.1], np.float32), 1.0)
        out = image.copy()
        roi = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = np.clip(roi * (1.0 + gain[..., None] * tint) + 0.5, 0, 255).astype(np.uint8)
        if changed is not None:
            changed[y0:y1, x0:x1] |= (np.abs(gain) > 0.004).astype(np.uint8)
        return out
