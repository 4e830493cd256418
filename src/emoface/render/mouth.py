"""Mouth interior: cavity, teeth and tongue, drawn behind the lips where the
moved lips part. Colours are taken from the portrait so the interior matches
its light."""

from __future__ import annotations

import cv2
import numpy as np


def photo_teeth(photo: np.ndarray, opening: np.ndarray) -> np.ndarray | None:
    """The colour of the teeth the photo shows between its lips, RGB (3,), or
    None when the lips are (nearly) closed or nothing there looks like teeth.

    ``opening`` is the inner-lip polygon (K, 2) in photo pixels.
    """
    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(opening).astype(np.int32)], 1)
    inside = photo[mask.astype(bool)].astype(np.float32)
    if len(inside) < 30:
        return None
    luma = inside.mean(axis=1)
    sat = inside.max(axis=1) - inside.min(axis=1)
    teeth = inside[(luma > np.percentile(luma, 60)) & (sat < 0.35 * np.maximum(luma, 1))]
    if len(teeth) < 15 or teeth.mean() < 90:
        return None
    return np.median(teeth, axis=0)


def palette(photo: np.ndarray, lips: np.ndarray, opening: np.ndarray | None = None
            ) -> dict[str, np.ndarray]:
    """Interior colours, RGB float (3,): from the photo's lips, and its own
    teeth when ``opening`` (inner-lip polygon) shows them."""
    x0, y0 = np.floor(lips.min(axis=0)).astype(int)
    x1, y1 = np.ceil(lips.max(axis=0)).astype(int)
    roi = photo[max(0, y0):y1 + 1, max(0, x0):x1 + 1].reshape(-1, 3).astype(np.float32)
    lip = np.median(roi, axis=0) if len(roi) else np.array([150, 80, 80], np.float32)
    light = float(np.clip(lip.mean() / 130.0, 0.5, 1.0))
    teeth = photo_teeth(photo, opening) if opening is not None else None
    if teeth is None:
        # Teeth in a photo sit in the mouth's shade: a warm, muted off-white.
        teeth = np.array([206, 194, 176], np.float32) * light
    return {
        "lip": lip,
        "cavity": lip * 0.18 + np.array([18, 4, 4]),
        "throat": lip * 0.06,
        "teeth": teeth,
        "tongue": lip * 0.75 + np.array([30, 0, 0]),
    }


def _band(contour: np.ndarray, depth: np.ndarray, sign: float, under: float = 2.0) -> np.ndarray:
    """Polygon hugging ``contour`` (K, 2), ``depth`` px thick toward ``sign`` y.

    It starts ``under`` px behind the lip, so that the blur that softens the
    interior does not darken the teeth where they meet the lip.
    """
    zero = np.zeros_like(depth)
    outer = contour - np.stack([zero, sign * np.full_like(depth, under)], axis=1)
    inner = contour + np.stack([zero, sign * depth], axis=1)
    return np.concatenate([outer, inner[::-1]]).astype(np.float32)


def smooth_lips(upper: np.ndarray, lower: np.ndarray, per_segment: int = 4
                ) -> tuple[np.ndarray, np.ndarray]:
    """Both inner-lip contours as smooth curves (Catmull-Rom through the
    landmarks, the same number of samples per segment, so upper and lower
    points still correspond).

    The landmarks give each lip as a polyline of a few points; drawn
    straight, an open mouth is a hexagon. The curves round the lips and
    keep the corners where they meet.
    """
    t = np.arange(per_segment, dtype=np.float32)[:, None] / per_segment  # (S, 1)
    t2, t3 = t * t, t * t * t

    def curve(p: np.ndarray) -> np.ndarray:
        p = p.astype(np.float32)
        ext = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]])
        p0, p1, p2, p3 = ext[:-3, None], ext[1:-2, None], ext[2:-1, None], ext[3:, None]  # (K-1, 1, 2)
        pts = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                     + (3 * p1 - p0 - 3 * p2 + p3) * t3)
        return np.concatenate([pts.reshape(-1, 2), p[-1:]])

    return curve(upper), curve(lower)


def draw_interior(canvas: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                  colours: dict[str, np.ndarray], tongue_out: float = 0.0) -> None:
    """Paint the mouth interior into ``canvas`` (H, W, 3 uint8) in place.

    Parameters
    ----------
    upper, lower : ndarray (K, 2)
        Inner lip contours, corner to corner, in the same order, pixels.
    """
    upper, lower = smooth_lips(upper, lower)
    poly = np.concatenate([upper, lower[::-1][1:-1]]).astype(np.float32)
    x0, y0 = np.floor(poly.min(axis=0)).astype(int) - 3
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 3
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    off = np.array([x0, y0], np.float32)
    scale = 4  # draw at 4x and average down: anti-aliased edges
    rh, rw = (y1 - y0) * scale, (x1 - x0) * scale

    def pts(a: np.ndarray) -> np.ndarray:
        return np.round((a - off) * scale).astype(np.int32)

    mask = np.zeros((rh, rw), np.uint8)
    cv2.fillPoly(mask, [pts(poly)], 255, cv2.LINE_AA)
    layer = np.zeros((rh, rw, 3), np.float32)
    gap = np.maximum(lower[:, 1] - upper[:, 1], 0)
    width = float(np.ptp(poly[:, 0]))
    opening = float(gap.max())
    # A barely parted mouth shows a shadowed lip line, not a black slot with
    # teeth: the interior fades in as the lips part (fully at ~6 px).
    shown = float(np.clip((opening - 1.0) / 5.0, 0.0, 1.0))
    layer[:] = colours["lip"] * 0.45 * (1 - shown) + colours["cavity"] * shown
    centre = pts(((upper + lower) / 2).mean(axis=0, keepdims=True))[0]
    axes = (max(1, int(width * 0.3 * scale)), max(1, int(opening * 0.35 * scale)))
    if shown > 0:
        cv2.ellipse(layer, tuple(int(c) for c in centre), axes, 0, 0, 360,
                    (colours["throat"] * shown + colours["lip"] * 0.45 * (1 - shown)).tolist(), -1,
                    cv2.LINE_AA)
    # Tongue: low in the mouth, rising forward with tongueOut.
    t_h = opening * (0.35 + 0.4 * tongue_out)
    t_c = (int(centre[0]), int((lower[:, 1].mean() - off[1] - 0.1 * t_h) * scale))
    cv2.ellipse(layer, t_c, (max(1, int(width * 0.32 * scale)), max(1, int(t_h * 0.6 * scale))),
                0, 180, 360, colours["tongue"].tolist(), -1, cv2.LINE_AA)
    # Teeth fixed to the upper jaw, lower teeth riding on the lower lip (jaw).
    k = len(upper)
    # Teeth fill the front of the mouth and give way to dark cheeks at the corners.
    taper = np.sin(np.linspace(0, np.pi, k)) ** 1.2
    top = np.minimum(gap * 0.45, width * 0.11) * taper
    # The lower lip hides most of the lower teeth.
    bottom = np.minimum(gap * 0.2, width * 0.05) * taper
    if shown > 0:
        base = layer.copy()
        cv2.fillPoly(layer, [pts(_band(upper, top, +1))], colours["teeth"].tolist(), cv2.LINE_AA)
        cv2.fillPoly(layer, [pts(_band(lower, bottom, -1))],
                     (colours["teeth"] * 0.78).tolist(), cv2.LINE_AA)
        layer = base + (layer - base) * shown
    # Light falls off into the mouth: shade everything by distance from the lips.
    ys = np.arange(rh, dtype=np.float32)[:, None]
    lip_top = np.interp(np.arange(rw) / scale + off[0], upper[:, 0], upper[:, 1])[None] - off[1]
    depth = np.clip((ys / scale - lip_top) / max(opening, 1.0), 0, 1)
    # ... and toward the corners, where the cheeks shade the mouth.
    u = np.clip((np.arange(rw, dtype=np.float32) / scale + off[0] - poly[:, 0].min()) / max(width, 1.0), 0, 1)
    across = 0.5 + 0.5 * np.sqrt(np.clip(np.sin(np.pi * u), 0, 1))
    layer *= ((1.0 - 0.45 * depth) * across[None, :])[..., None]
    layer = cv2.GaussianBlur(layer, (0, 0), scale * 0.7)
    small = cv2.resize(layer, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)[..., None] / 255.0
    roi = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(roi * (1 - alpha) + small * alpha, 0, 255).astype(np.uint8)
