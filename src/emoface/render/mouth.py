"""Mouth interior: cavity, teeth and tongue, drawn behind the lips where the
moved lips part. Colours are taken from the portrait so the interior matches
its light."""

from __future__ import annotations

import cv2
import numpy as np

from ..easing import smoothstep


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


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _at_luma(rgb: np.ndarray, luma: float) -> np.ndarray:
    """``rgb`` (3,) with its hue kept and its luma set to ``luma``."""
    rgb = np.asarray(rgb, np.float32)
    return np.clip(rgb * (luma / max(float(_luma(rgb)), 1.0)), 0, 255)


#: Teeth in a photo take part of the light's colour, which the skin shows:
#: their hue is about the skin's hue to this power (real photos with teeth
#: showing measure 0.3-0.5). Neutral teeth in a warm photo read as blue.
TEETH_TAKE_LIGHT = 0.4
#: A photo showing no teeth gets teeth at least this light against the skin
#: around its lips. Real speaking mouths' lightest twentieth is 1.18 of that
#: skin's light (median); in the mouth's shade these show 0.85-1.0 of it
#: (benchmarks/interior_light.py).
TEETH_OVER_SKIN = 1.2


def _skin_around(photo: np.ndarray, lips: np.ndarray) -> np.ndarray | None:
    """Median RGB (3,) of the skin framing the lips (their box widened, the
    box itself left out), or None when that lies outside the photo."""
    lo, hi = lips.min(axis=0), lips.max(axis=0)
    w, h = hi - lo
    x0, y0 = np.maximum(np.floor(lo - (0.3 * w, 0.6 * h)), 0).astype(int)
    x1, y1 = np.ceil(hi + (0.3 * w, 0.8 * h)).astype(int)
    roi = photo[y0:y1, x0:x1].astype(np.float32)
    keep = np.ones(roi.shape[:2], bool)
    keep[int(lo[1]) - y0:int(hi[1]) - y0, int(lo[0]) - x0:int(hi[0]) - x0] = False
    skin = roi[keep]
    return np.median(skin, axis=0) if len(skin) > 30 else None


def _lit_teeth(photo: np.ndarray, lips: np.ndarray, light: float) -> np.ndarray:
    """Teeth for a photo that shows none: a muted off-white in the mouth's
    shade, in the colour of the photo's light."""
    teeth = np.array([206, 194, 176], np.float32) * light
    skin = _skin_around(photo, lips)
    if skin is None or _luma(skin) < 1:
        return teeth
    hue = np.maximum(skin, 1) / _luma(skin)
    # As light as the skin around them, as in real speaking mouths: set by
    # the lips' light alone, teeth in a light-skinned, brightly lit photo
    # read as a grey smudge.
    return _at_luma(hue ** TEETH_TAKE_LIGHT, max(float(_luma(teeth)), TEETH_OVER_SKIN * float(_luma(skin))))


def palette(photo: np.ndarray, lips: np.ndarray, opening: np.ndarray | None = None
            ) -> dict[str, np.ndarray]:
    """Interior colours, RGB float (3,): from the photo's lips, and its own
    teeth when ``opening`` (inner-lip polygon) shows them.

    The cavity and teeth are set by luma, within fixed bounds, rather than as
    fractions of what surrounds the mouth: on a dark face or a dark beard
    the cavity must still be darker than the beard and the teeth brighter,
    or the mouth does not read as open.
    """
    x0, y0 = np.floor(lips.min(axis=0)).astype(int)
    x1, y1 = np.ceil(lips.max(axis=0)).astype(int)
    roi = photo[max(0, y0):y1 + 1, max(0, x0):x1 + 1].reshape(-1, 3).astype(np.float32)
    lip = np.median(roi, axis=0) if len(roi) else np.array([150, 80, 80], np.float32)
    light = float(np.clip(lip.mean() / 130.0, 0.5, 1.0))
    teeth = photo_teeth(photo, opening) if opening is not None else None
    if teeth is None:
        teeth = _lit_teeth(photo, lips, light)
    # Teeth are the lightest thing in the mouth whatever the skin.
    teeth = _at_luma(teeth, max(float(_luma(teeth)), 170.0))
    lip_l = float(_luma(lip))
    red = lip * np.array([1.0, 0.62, 0.56], np.float32)  # the mouth's lining: the lip's hue, redder
    return {
        "lip": lip,
        # The lips' wet inner edge, turned away from the light.
        "lip_inner": _at_luma(red, 0.38 * lip_l),
        # Front of the cavity (cheeks, palate) catches a little light ...
        "cavity": _at_luma(red, float(np.clip(0.2 * lip_l, 18.0, 34.0))),
        # ... the back does not: dark red-brown, but never black.
        "throat": _at_luma(red, 15.0),
        "teeth": teeth,
        "tongue": _at_luma(lip * np.array([1.0, 0.66, 0.66], np.float32),
                           float(np.clip(0.6 * lip_l, 85.0, 125.0))),
    }


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

# Tooth edges along the dental arch from the midline (mm) and each tooth's
# visible crown as a share of a central incisor's: incisors, canine,
# premolars, first molar. Lower incisors are narrower.
_UPPER_TEETH = (np.array([0, 8.5, 15.0, 22.5, 29.5, 36.0, 46.0], np.float32),
                np.array([1.0, 0.86, 0.93, 0.75, 0.68, 0.55], np.float32))
_LOWER_TEETH = (np.array([0, 5.4, 11.3, 18.2, 25.2, 32.2, 43.0], np.float32),
                np.array([1.0, 0.97, 0.9, 0.72, 0.62, 0.5], np.float32))
_ARCH_MM = 24.0   # the arch seen from the front: a circle of this radius
_MOUTH_MM = 46.0  # inner-lip width of a mouth, to size the teeth in pixels
_SUB = 4          # sub-columns per pixel for what changes across the mouth


def _across(xs: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Where columns ``xs`` lie across the mouth: -1..1 corner to corner, 0
    under the upper lip's middle, which the upper teeth are centred on. Each
    side is scaled on its own, so a turned head foreshortens the far side."""
    xc = float(upper[len(upper) // 2, 0])
    side = np.where(xs < xc, max(xc - float(upper[0, 0]), 1.0), max(float(upper[-1, 0]) - xc, 1.0))
    return np.clip((xs - xc) / side, -1, 1).astype(np.float32)


def _teeth_row(u: np.ndarray, row: tuple[np.ndarray, np.ndarray], mm: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row of teeth seen from the front, per pixel column, averaged over
    its ``_SUB`` sub-columns at ``u`` (W * _SUB,): visible crown length
    (share of a central incisor), shade (0..1) and how much of the column is
    a line between two teeth (0..1). ``mm``: pixels per millimetre."""
    edges, share = row
    angle = np.arcsin(np.clip(np.abs(u) * (_MOUTH_MM / 2 / _ARCH_MM), 0, 1))
    a = _ARCH_MM * angle  # distance along the arch from the midline
    i = np.clip(np.searchsorted(edges, a, side="right") - 1, 0, len(share) - 1)
    w = edges[i + 1] - edges[i]
    s = np.clip((a - edges[i]) / w, 0, 1)  # 0..1 across the tooth
    # Rounded corners at the biting edge leave a small notch between neighbours.
    corner = np.clip((np.abs(2 * s - 1) - 0.7) / 0.3, 0, 1)
    length = share[i] * (1 - 0.2 * corner ** 2) * (a < edges[-1])
    # Teeth turn away and recede into the cheeks' shade toward the corners;
    # each crown is a little convex, lightest across its middle.
    shade = (0.15 + 0.85 * np.cos(angle) ** 2.5) * (0.92 + 0.08 * np.sin(np.pi * s))
    line = np.exp(-(np.minimum(s, 1 - s) * w * np.cos(angle) * mm / 0.45) ** 2)
    return tuple(q.reshape(-1, _SUB).mean(axis=1).astype(np.float32) for q in (length, shade, line))


def _paint_teeth(layer: np.ndarray, dy: np.ndarray, length: np.ndarray,
                 row: tuple[np.ndarray, np.ndarray, np.ndarray], colour: np.ndarray,
                 dark: np.ndarray) -> None:
    """Teeth hanging ``length`` px (W,) from a lip into ``layer`` (H, W, 3).

    ``dy`` (H, W) is each pixel's distance from that lip into the mouth, px;
    ``row`` is :func:`_teeth_row`'s (share, shade, line). In shade the teeth
    take on the mouth's warm ``dark``, not grey.
    """
    _, shade, line = row
    t = dy / np.maximum(length, 1e-3)  # 0 at the lip, 1 at the biting edge
    a = np.clip(length - dy + 0.5, 0, 1) * (length > 0.3)  # pixel coverage
    # The lip shades the crown where it meets the gum; the thin biting
    # edge lets the dark behind show through a little.
    light = (0.75 + 0.25 * smoothstep(t, 0.0, 0.35)) * (1 - 0.12 * smoothstep(t, 0.75, 1.0))
    # Soft lines between the teeth, deepest at the edge (the embrasures).
    light *= shade * (1 - line * (0.12 + 0.3 * t * t))
    layer += (dark + (colour - dark) * light[..., None] - layer) * a[..., None]


def _cavity(v: np.ndarray, u: np.ndarray, reach: float, colours: dict[str, np.ndarray]) -> np.ndarray:
    """The bare cavity (H, W, 3): walls near the lips catch some light, the
    throat is dark in the middle, the cheeks shade the corners.

    ``v`` (H, W): 0 at the upper lip, 1 at the lower; ``u`` (W,): -1..1
    corner to corner; ``reach``: how much of the back the opening shows.
    """
    r2 = (u / 0.75)[None, :] ** 2 + ((v - 0.45) / 0.45) ** 2
    depth = np.clip(1 - r2, 0, 1) ** 0.6 * reach
    layer = colours["cavity"] + (colours["throat"] - colours["cavity"]) * depth[..., None]
    layer *= (0.5 + 0.5 * np.sqrt(np.clip(np.cos(0.5 * np.pi * u), 0, 1)))[None, :, None]
    return layer.astype(np.float32)


def _paint_tongue(layer: np.ndarray, up: np.ndarray, u: np.ndarray, height: np.ndarray,
                  colour: np.ndarray) -> None:
    """A rounded tongue rising ``height`` px (W,) from the lower lip; ``up``
    (H, W) is each pixel's height above the lower lip, px.

    Lit from the front: its tip, low behind the lower teeth, is lightest;
    its back, higher up, falls into the dark, as do its sides.
    """
    t = np.clip(up / np.maximum(height, 1e-3), 0, 1)
    a = np.clip(height - up + 0.5, 0, 1) * (height > 0.3)
    light = (1 - 0.6 * t ** 1.5) * (1 - 0.45 * u * u)[None, :]
    light *= 1 - 0.12 * np.exp(-(u / 0.06) ** 2)[None, :] * t  # the groove down its middle
    layer += (colour * light[..., None] - layer) * a[..., None]


def _rows(ys: np.ndarray, lo: float, hi: float) -> slice:
    """The rows of ``ys`` (crop pixels, ascending) from ``lo`` to ``hi``,
    with a pixel to spare for the soft edges."""
    return slice(int(np.searchsorted(ys, lo - 1.5)), int(np.searchsorted(ys, hi + 1.5)))


def _mouth_layer(xs: np.ndarray, ys: np.ndarray, sub: np.ndarray, upper: np.ndarray,
                 lower: np.ndarray, edge: float, colours: dict[str, np.ndarray],
                 tongue_out: float) -> np.ndarray:
    """The interior (len(ys), len(xs), 3) float32, back to front: cavity,
    tongue, lower teeth, upper teeth, the lips' inner edges. ``xs``, ``ys``:
    pixel centres; ``sub``: ``_SUB`` sub-columns per pixel; crop pixels.
    Each part is worked out only over the rows it can reach."""
    top = np.interp(xs, np.maximum.accumulate(upper[:, 0]), upper[:, 1]).astype(np.float32)
    bot = np.interp(xs, np.maximum.accumulate(lower[:, 0]), lower[:, 1]).astype(np.float32)
    gap = np.maximum(bot - top, 0)
    opening, width = float(gap.max()), max(float(upper[-1, 0] - upper[0, 0]), 1.0)
    u, u_sub = _across(xs, upper), _across(sub, upper)
    down = ys[:, None] - top[None, :]  # below the upper lip, px (H, W)
    up = bot[None, :] - ys[:, None]    # above the lower lip, px
    layer = _cavity(down / np.maximum(gap, 1)[None, :], u, min(1.0, opening / (0.3 * width)), colours)
    # The tongue lies low: a small opening hides it behind the lower lip.
    # Coming forward it narrows to its tip.
    rise = max(opening * (0.45 + 0.4 * tongue_out) - 0.06 * width, 0.0)
    dome = np.sqrt(np.clip(1 - (u / (0.8 - 0.25 * tongue_out)) ** 2, 0, 1))
    height = np.minimum(rise * dome, 0.8 * gap)
    r = _rows(ys, float((bot - height).min()), float(bot.max()))
    _paint_tongue(layer[r], up[r], u, height, colours["tongue"])
    mm = width / _MOUTH_MM  # px per mm
    # Lower teeth ride on the jaw, mostly behind the lower lip, and only
    # once the jaw has dropped, in the shade of the upper teeth and lip; a
    # tongue coming forward covers them.
    show = min(0.15 * opening, 2.5 * mm) * float(smoothstep(np.float32(opening / width), 0.1, 0.3)) * (1 - tongue_out)
    row = _teeth_row(u_sub, _LOWER_TEETH, mm)
    length = np.minimum(show * row[0], 0.3 * gap)
    r = _rows(ys, float((bot - length).min()), float(bot.max()))
    _paint_teeth(layer[r], up[r], length, (row[0], 0.72 * row[1], row[2]),
                 colours["teeth"], colours["cavity"])
    # Upper teeth hang from the upper lip whenever the lips part.
    show = min(0.42 * opening, 7.0 * mm)
    row = _teeth_row(u_sub, _UPPER_TEETH, mm)
    length = np.minimum(show * row[0], 0.55 * gap)
    r = _rows(ys, float(top.min()), float((top + length).max()))
    _paint_teeth(layer[r], down[r], length, row, colours["teeth"], colours["cavity"])
    # The lips have thickness: their wet inner edge, in shadow, rolls into
    # the mouth along both contours, so they do not look cut out.
    for r, d in ((_rows(ys, float(top.min()), float(top.max()) + edge), down),
                 (_rows(ys, float(bot.min()) - edge, float(bot.max())), up)):
        a = np.clip(1 - d[r] / edge, 0, 1) ** 1.5 * 0.8
        layer[r] += (colours["lip_inner"] - layer[r]) * a[..., None]
    return layer


def draw_interior(canvas: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                  colours: dict[str, np.ndarray], tongue_out: float = 0.0) -> None:
    """Paint the mouth interior into ``canvas`` (H, W, 3 uint8) in place.

    Parameters
    ----------
    upper, lower : ndarray (K, 2)
        Inner lip contours, corner to corner, in the same order, pixels.
    colours : dict
        From :func:`palette`.
    tongue_out : float
        0..1, the tongue coming forward.
    """
    upper, lower = smooth_lips(upper, lower)
    opening = float(np.max(lower[:, 1] - upper[:, 1]))
    if opening < 0.5:
        return  # the lips touch (p, b, m): a closed mouth shows nothing
    poly = np.concatenate([upper, lower[::-1][1:-1]]).astype(np.float32)
    width = float(np.ptp(poly[:, 0]))
    edge = max(0.7, 0.028 * width)  # the lips' inner edge band, px
    m = int(np.ceil(2.5 * edge)) + 2  # room for the lips' shading outside the opening
    h, w = canvas.shape[:2]
    x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int) - m, 0)
    x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + m, (w, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    # Shading is smooth, so it is worked out once per pixel (pixel centres
    # at whole numbers); the outline is drawn anti-aliased at 2x and
    # averaged down; only what changes across the mouth (the lines between
    # teeth) is sampled finer, per column.
    xs, ys = np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32)
    sub = x0 - 0.5 + (np.arange((x1 - x0) * _SUB, dtype=np.float32) + 0.5) / _SUB
    layer = _mouth_layer(xs, ys, sub, upper, lower, edge, colours, tongue_out)
    mask = np.zeros(((y1 - y0) * 2, (x1 - x0) * 2), np.uint8)
    q = np.round(((poly - np.array([x0 - 0.5, y0 - 0.5])) * 2 - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(mask, [q], 255, cv2.LINE_AA, shift=4)
    alpha = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    # A barely parted mouth shows a shadowed lip line, not a black slot with
    # teeth: the interior fades in as the lips part (fully at ~6 px).
    shown = float(np.clip((opening - 1.0) / 5.0, 0.0, 1.0))
    layer = colours["lip"].astype(np.float32) * (0.45 * (1 - shown)) + layer * shown
    layer = cv2.GaussianBlur(layer, (0, 0), 0.5)  # no sharper than the photo around it
    # The lips roll inward at the opening: shade them just outside it.
    ring = cv2.GaussianBlur(alpha, (0, 0), 1.3 * edge) * (1 - alpha)
    roi = canvas[y0:y1, x0:x1].astype(np.float32) * (1 - 1.0 * shown * ring)[..., None]
    a = alpha[..., None]
    canvas[y0:y1, x0:x1] = np.clip(roi * (1 - a) + layer * a, 0, 255).astype(np.uint8)
