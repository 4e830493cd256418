"""Eyes: the iris moves inside the eye opening (eyeLookIn/Out/Up/Down), and a
closing lid is skin, not a squashed eye.

A mesh warp cannot move the iris without dragging the lids with it, so each
eye gets its own small layer, made once per portrait: a sclera plate (the
eye with its iris inpainted away) and the iris itself as a soft-edged disc.
Per frame the iris is placed at its new position and both are clipped to
the moved lid opening, so the lids still cover the top of the iris.

A blink slides the upper lid over that unsquashed eyeball: the lid is the
photo's own lid skin (the band between the lash line and the brow),
mirrored down to the lid's moving edge, with a lash line at the edge.
Warping the lid down instead stretches the lashes into a dark smear.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import regions as R
from ..motion import ARKIT_NAMES

TRAVEL = 0.27  # iris travel at eyeLook* = 1, as a share of the eye's width (sideways)
TRAVEL_V = 0.15  # ... and up and down (the opening is shorter; lids follow the rest)


@dataclass(frozen=True, eq=False)
class Eye:
    """One eye's layer, in working-crop pixels."""

    side: str  # "left" or "right": the subject's
    contour: tuple[int, ...]  # lid landmark indices, a closed loop
    upper: tuple[int, ...]  # upper lid, corner to corner
    centre: np.ndarray  # iris centre (2,)
    radius: float
    width: float  # corner to corner
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the patches below
    sclera: np.ndarray  # eye region with the iris replaced by white, float32 (h, w, 3)
    iris: np.ndarray  # eye region as photographed, hidden iris filled in, float32 (h, w, 3)
    lid: float  # height of the lid-skin band above the lid's margin (pixels)
    lash: float  # how far above the margin the dark lash line reaches (pixels, within ``lid``)
    skin: np.ndarray  # skin colour just below the eye, RGB (3,)

    @property
    def lower(self) -> list[int]:
        """Lower-lid landmarks between the corners: they move with the head, not the lid."""
        return list(self.contour[len(self.upper):])

    @property
    def channel(self) -> dict[str, int]:
        """This eye's ARKit channels by short name: "Blink", "Squint", "Wide", "LookIn", ..."""
        return _CHANNELS[self.side]

    def gaze(self, coeffs: np.ndarray) -> np.ndarray:
        """Iris offset in pixels (x right, y down) for ARKit coefficients (52,)."""
        ch = self.channel
        out, in_ = coeffs[ch["LookOut"]], coeffs[ch["LookIn"]]
        up, down = coeffs[ch["LookUp"]], coeffs[ch["LookDown"]]
        # The subject's left eye sits on the image's right: looking out moves its iris right.
        out_dir = 1.0 if self.side == "left" else -1.0
        dx = float(out - in_) * out_dir * TRAVEL * self.width
        dy = float(down - up) * TRAVEL_V * self.width
        return np.array([dx, dy], np.float32)


_CHANNELS = {side: {k: ARKIT_NAMES.index(f"eye{k}{side.title()}")
                    for k in ("Blink", "Squint", "Wide", "LookIn", "LookOut", "LookUp", "LookDown")}
             for side in ("left", "right")}


def make_eyes(image: np.ndarray, landmarks: np.ndarray) -> list[Eye]:
    """Both eyes' layers from the working image and its 478 landmarks (pixels)."""
    eyes = []
    for side, up, lo, iris in (("left", R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER, R.LEFT_IRIS),
                               ("right", R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER, R.RIGHT_IRIS)):
        if len(landmarks) < 478:
            continue
        contour = tuple(up) + tuple(reversed(lo[1:-1]))
        pts = landmarks[list(contour), :2]
        centre = landmarks[iris[0], :2].astype(np.float32)
        radius = float(np.linalg.norm(landmarks[list(iris[1:]), :2] - centre, axis=1).mean())
        width = float(np.linalg.norm(landmarks[up[0], :2] - landmarks[up[-1], :2]))
        if radius < 1.5 or width < 6:
            continue
        pad = int(radius + 0.5 * width)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int) - pad
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + pad
        h, w = image.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        region = np.ascontiguousarray(image[y0:y1, x0:x1])
        sclera = _sclera_plate(region, pts - [x0, y0], centre - [x0, y0], radius)
        iris_patch = _iris_patch(region, pts - [x0, y0], centre - [x0, y0], radius)
        brow = R.LEFT_BROW if side == "left" else R.RIGHT_BROW
        # The brow's lower edge bounds the lid skin; keep well clear of its hairs.
        to_brow = float(landmarks[list(up[2:-2]), 1].mean() - landmarks[list(brow[5:]), 1].mean())
        lid = float(np.clip(0.45 * to_brow, 2.0, 0.35 * width))
        margin = landmarks[list(up), :2]
        margin = margin[np.argsort(margin[:, 0])]
        cols = np.arange(np.ceil(margin[0, 0]), np.floor(margin[-1, 0]) + 1, dtype=np.float32)
        lash = _lash_height(image, cols, np.interp(cols, margin[:, 0], margin[:, 1]).astype(np.float32), lid)
        below = landmarks[list(lo[2:-2]), :2].mean(axis=0)
        under = image[int(np.clip(below[1] + 0.15 * width, 0, h - 1)):int(np.clip(below[1] + 0.35 * width, 1, h)),
                      int(np.clip(below[0] - 0.2 * width, 0, w - 1)):int(np.clip(below[0] + 0.2 * width, 1, w))]
        skin = (np.median(under.reshape(-1, 3), axis=0).astype(np.float32) if under.size
                else np.full(3, 180.0, np.float32))
        eyes.append(Eye(side, contour, tuple(up), centre, radius, width, (x0, y0, x1, y1),
                        sclera.astype(np.float32), iris_patch, lid, lash, skin))
    return eyes


def _iris_patch(region: np.ndarray, opening: np.ndarray, centre: np.ndarray,
                radius: float) -> np.ndarray:
    """The eye region as photographed, with the part of the iris the lids
    hid filled with the iris's own colour (a raised lid uncovers iris, not
    a copy of the lid), float32."""
    h, w = region.shape[:2]
    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [np.round(opening).astype(np.int32)], 1)
    ys, xs = np.mgrid[0:h, 0:w]
    disc = np.hypot(xs - centre[0], ys - centre[1]) < radius * 1.25
    seen = region[(cv2.erode(inside, None) > 0) & disc]
    patch = region.astype(np.float32).copy()
    if len(seen) >= 5:
        patch[disc & (inside == 0)] = np.median(seen.astype(np.float32), axis=0)
    return patch


def _sclera_plate(region: np.ndarray, opening: np.ndarray, centre: np.ndarray,
                  radius: float) -> np.ndarray:
    """The eye region with the iris replaced by the white of this eye.

    Inpainting from the hole's border pulls in lashes and lid skin (a grey,
    pink blot); the white is instead the brighter half of the visible eye
    outside the iris, shaded darker toward the lids as real sclera is.
    """
    h, w = region.shape[:2]
    inside = np.zeros((h, w), np.uint8)
    cv2.fillPoly(inside, [np.round(opening).astype(np.int32)], 1)
    ys, xs = np.mgrid[0:h, 0:w]
    d = np.hypot(xs - centre[0], ys - centre[1])
    white = region[(inside > 0) & (d > radius * 1.4)].astype(np.float32)
    if len(white) >= 5:
        luma = white.mean(axis=1)
        colour = np.median(white[luma >= np.median(luma)], axis=0)
    else:
        colour = np.array([225, 215, 205], np.float32)
    plate = region.astype(np.float32).copy()
    # Outside the opening is lid and lashes; a lid raised past the photo's
    # must uncover white there, not the photo's lash line a second time.
    hole = np.maximum(np.clip((radius * 1.35 - d) / 2.0, 0, 1), 1.0 - cv2.dilate(inside, None))[..., None]
    top = opening[:, 1].min()
    shade = np.clip(1.0 - 0.12 * np.clip((top + 0.35 * radius - ys) / radius + 1, 0, 1), 0.88, 1)
    plate = plate * (1 - hole) + (colour * shade[..., None]) * hole
    return np.clip(plate, 0, 255).astype(np.uint8)


def draw_gaze(canvas: np.ndarray, eye: Eye, opening: np.ndarray, shift: np.ndarray,
              gaze: np.ndarray) -> None:
    """Paint the eyeball, its iris moved by ``gaze``, inside the lid opening.

    Also what a widened eye shows: white above the iris where the lid rose,
    where a warp has only stretched lid skin.

    ``opening`` is the moved lid contour (K, 2); ``shift`` how far the eye as
    a whole moved (head pose, lids), both in canvas pixels.
    """
    x0, y0, x1, y1 = eye.box
    h, w = canvas.shape[:2]
    bx0, by0 = int(max(x0 + shift[0] - 2, 0)), int(max(y0 + shift[1] - 2, 0))
    bx1, by1 = int(min(x1 + shift[0] + 2, w)), int(min(y1 + shift[1] + 2, h))
    if bx1 - bx0 < 4 or by1 - by0 < 4:
        return
    ys, xs = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
    # Sclera follows the eye; the iris follows the eye plus the gaze.
    sx = (xs - np.float32(shift[0] + x0)).astype(np.float32)
    sy = (ys - np.float32(shift[1] + y0)).astype(np.float32)
    sclera = cv2.remap(eye.sclera, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ix, iy = sx - np.float32(gaze[0]), sy - np.float32(gaze[1])
    iris = cv2.remap(eye.iris, ix, iy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    centre = eye.centre - [x0, y0]
    d = np.hypot(ix - centre[0], iy - centre[1])
    disc = np.clip((eye.radius * 1.2 - d) / 1.5, 0, 1)[..., None]
    eyeball = sclera * (1 - disc) + iris * disc
    mask = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
    scale = 4
    cv2.fillPoly(mask, [np.round((opening - [bx0, by0]) * scale).astype(np.int32)], 255,
                 cv2.LINE_AA, shift=2)
    mask = cv2.erode(mask, None)
    a = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.7)[..., None]
    roi = canvas[by0:by1, bx0:bx1].astype(np.float32)
    canvas[by0:by1, bx0:bx1] = np.clip(roi * (1 - a) + eyeball * a + 0.5, 0, 255).astype(np.uint8)


def _lash_height(source: np.ndarray, cols: np.ndarray, margin: np.ndarray, band: float) -> float:
    """How far above the lid's margin its dark lash line reaches (pixels),
    from the photo: where the strip above the margin turns from lash to skin."""
    rows = margin[None, :] - np.arange(int(np.ceil(band)) + 1, dtype=np.float32)[:, None]
    xs = np.broadcast_to(cols[None, :], rows.shape).astype(np.float32)
    strip = cv2.remap(source, xs, rows.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    luma = strip.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)  # (rows, cols)
    dark, skin = luma.min(axis=0), np.median(luma[len(luma) // 2:], axis=0)
    above = luma > ((dark + skin) / 2)[None, :]
    first = np.where(above.any(axis=0), np.argmax(above, axis=0), len(luma))
    return float(np.clip(np.median(first) + 1.0, 1.5, 0.7 * band))


@dataclass(frozen=True, eq=False)
class _LidRegion:
    """Where a closing lid is drawn: canvas rows ``y0:y1`` by columns ``x0:x1``."""

    x0: int
    x1: int
    y0: int
    y1: int
    ys: np.ndarray  # the rows, float32 (y1 - y0, 1)
    src_x: np.ndarray  # per column: the photo's column it shows, float32
    rest: np.ndarray  # per column: the margin's row with the eye open, float32
    edge: np.ndarray  # per column: the closing margin's row, never above ``rest``, float32
    off_y: np.ndarray  # per column: canvas row less photo row at the margin, float32

    @property
    def travel(self) -> np.ndarray:
        """How far the margin has come down, per column (pixels, float32)."""
        return self.edge - self.rest


def _lid_region(shape: tuple[int, ...], band: np.float32, src_edge: np.ndarray, rest: np.ndarray,
                edge: np.ndarray) -> _LidRegion | None:
    """The canvas region a lid closing from ``rest`` to ``edge`` covers, with
    ``band`` pixels of lid skin above the margin; None where too small to draw."""
    order_r, order_e, order_s = np.argsort(rest[:, 0]), np.argsort(edge[:, 0]), np.argsort(src_edge[:, 0])
    xa, xb = float(max(rest[:, 0].min(), edge[:, 0].min())), float(min(rest[:, 0].max(), edge[:, 0].max()))
    h, w = shape[:2]
    x0, x1 = max(int(np.floor(xa)), 0), min(int(np.ceil(xb)) + 1, w)
    if x1 - x0 < 3:
        return None
    cols = np.arange(x0, x1, dtype=np.float32)
    r = np.interp(cols, rest[order_r, 0], rest[order_r, 1]).astype(np.float32)
    e = np.maximum(np.interp(cols, edge[order_e, 0], edge[order_e, 1]).astype(np.float32), r)
    # Canvas to photo: the head's move at the margin, per column.
    src_x = cols - np.interp(cols, rest[order_r, 0], rest[order_r, 0] - src_edge[order_r, 0]).astype(np.float32)
    margin = np.interp(src_x, src_edge[order_s, 0], src_edge[order_s, 1]).astype(np.float32)
    y0 = max(int(np.floor((r - band).min())) - 1, 0)
    y1 = min(int(np.ceil(e.max())) + 2, h)
    if y1 - y0 < 2:
        return None
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    return _LidRegion(x0, x1, y0, y1, ys, src_x, r, e, r - margin)


def _slid_lid(source: np.ndarray, region: _LidRegion, lash: np.float32, skin: float) -> np.ndarray:
    """The photo's lid over the region, float32 (rows, cols, 3): its lash line
    slid down to the closing margin, lid skin mirrored in above it."""
    r, e, ys = region.rest, region.edge, region.ys
    # At and above the moved lash line's top: skin, mirrored up from the lashes.
    t = np.mod(np.maximum((e - lash) - ys, 0), 2 * skin)
    from_skin = (r - lash) - (skin - np.abs(t - skin))
    src_y = np.where(ys >= e - lash, ys - region.travel, from_skin) - region.off_y
    src_y = np.broadcast_to(src_y, (len(ys), len(region.src_x))).astype(np.float32)
    xs = np.broadcast_to(region.src_x[None, :], src_y.shape).astype(np.float32)
    return cv2.remap(source, xs, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def _lid_tone(eye: Eye, source: np.ndarray, region: _LidRegion, lash: np.float32, skin: float) -> np.ndarray:
    """The lid skin's colour per column, float32 (cols, 3)."""
    # The skin's typical colour per column, its grain softened around it: a
    # crease or a stray lash in the band must not repeat as stripes.
    k = 6
    r, off_y = region.rest, region.off_y
    rows = (r - lash - skin * (np.arange(k, dtype=np.float32)[:, None] + 0.5) / k - off_y).astype(np.float32)
    samples = cv2.remap(source, np.broadcast_to(region.src_x[None, :], rows.shape).astype(np.float32), rows,
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    tone = cv2.GaussianBlur(np.median(samples, axis=0)[None], (0, 0), 1.5)[0]
    # Lid skin in a brow's shadow or under make-up is darker than the skin
    # the closing lid unfolds: lean toward the skin below the eye there.
    target = eye.skin * np.float32(0.9)
    t_luma, s_luma = tone.mean(axis=1), float(target.mean())
    lean = 0.6 * np.clip((s_luma - t_luma) / (0.3 * s_luma), 0, 1)[:, None]
    return tone * (1 - lean) + target[None] * lean


def _unfolded_skin(lid: np.ndarray, tone: np.ndarray, region: _LidRegion, lash: np.float32) -> np.ndarray:
    """``lid`` with the skin above the moved lash line evened out toward ``tone``."""
    ys, travel = region.ys, region.travel
    # A closed lid bulges: shadowed under the brow, catching the light toward its edge.
    down = np.clip((ys - (region.rest - lash)) / np.maximum(travel, 1.0), 0, 1)
    smooth = (tone[None] + np.clip(lid - tone[None], -10, 10) * 0.5) * (0.93 + 0.1 * down)[..., None]
    return np.where((ys >= region.edge - lash)[..., None], lid, smooth)


def _blend_lid(canvas: np.ndarray, lid: np.ndarray, region: _LidRegion, band: np.float32) -> None:
    """Paint ``lid`` over the region of ``canvas``, in place."""
    # The whole lid band down to the moved margin: the warp drags part of the
    # photo's lash line up into the band, which must not stay as a second
    # line. Nothing where the lid has not moved.
    ys, box = region.ys, np.s_[region.y0:region.y1, region.x0:region.x1]
    inside = np.clip((ys - (region.rest - band)) / 2.0, 0, 1) * np.clip(region.edge + 1.0 - ys, 0, 1)
    a = (inside * np.clip(region.travel / 1.5, 0, 1)[None, :])[..., None]
    roi = canvas[box].astype(np.float32)
    canvas[box] = np.clip(roi * (1 - a) + lid * a + 0.5, 0, 255).astype(np.uint8)


def draw_lid(canvas: np.ndarray, eye: Eye, source: np.ndarray, src_edge: np.ndarray,
             rest: np.ndarray, edge: np.ndarray) -> None:
    """Close the upper lid over the eye: the photo's own lid, moved down.

    ``src_edge`` is the upper lid's margin in ``source`` (the photo, (K, 2)),
    ``rest`` where that margin is in the canvas with the eye open (the head
    moved it), and ``edge`` where the closing lid's margin is now, all from
    corner to corner. The lash line (measured on the photo) slides down
    whole, so the lashes stay crisp at the lid's edge, never a second line
    left behind; the lid skin that unfolds above it is the band of skin
    just above the lashes, mirrored row by row so it keeps its own grain
    (a stretch would streak it). Opaque: a lid is skin, never a tint.
    """
    band = np.float32(eye.lid)
    region = _lid_region(canvas.shape, band, src_edge, rest, edge)
    if region is None:
        return
    lash = np.float32(eye.lash)
    skin = max(float(band - lash), 1.0)  # the clean skin above the lashes
    lid = _slid_lid(source, region, lash, skin)
    lid = _unfolded_skin(lid, _lid_tone(eye, source, region, lash, skin), region, lash)
    _blend_lid(canvas, lid, region, band)
