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

from ..easing import smoothstep
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
    lash: np.ndarray  # colour of the lash line, RGB (3,)
    lid: float  # height of the lid-skin band above the lash line (pixels)
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
        along = image[np.clip(np.round(landmarks[list(up[1:-1]), 1]).astype(int), 0, h - 1),
                      np.clip(np.round(landmarks[list(up[1:-1]), 0]).astype(int), 0, w - 1)]
        lash = np.min(along.astype(np.float32), axis=0) * 0.85
        brow = R.LEFT_BROW if side == "left" else R.RIGHT_BROW
        # The brow's lower edge bounds the lid skin; keep well clear of its hairs.
        to_brow = float(landmarks[list(up[2:-2]), 1].mean() - landmarks[list(brow[5:]), 1].mean())
        lid = float(np.clip(0.45 * to_brow, 2.0, 0.35 * width))
        below = landmarks[list(lo[2:-2]), :2].mean(axis=0)
        under = image[int(np.clip(below[1] + 0.15 * width, 0, h - 1)):int(np.clip(below[1] + 0.35 * width, 1, h)),
                      int(np.clip(below[0] - 0.2 * width, 0, w - 1)):int(np.clip(below[0] + 0.2 * width, 1, w))]
        skin = (np.median(under.reshape(-1, 3), axis=0).astype(np.float32) if under.size
                else np.full(3, 180.0, np.float32))
        eyes.append(Eye(side, contour, tuple(up), centre, radius, width, (x0, y0, x1, y1),
                        sclera.astype(np.float32), iris_patch, lash, lid, skin))
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


def draw_lashes(canvas: np.ndarray, eye: Eye, upper: np.ndarray, blink: float) -> None:
    """A closing eye's lash line along the moved upper lid ``upper`` (K, 2).

    The warp brings the lid down over the eye but stretches the photo's
    lashes into a soft smear; a crisp line in the lashes' own colour at the
    lid's edge is what makes a shut eye read as shut.
    """
    strength = float(np.clip((blink - 0.3) / 0.5, 0, 1)) * 0.85
    if strength <= 0:
        return
    x0, y0 = np.floor(upper.min(axis=0)).astype(int) - 3
    x1, y1 = np.ceil(upper.max(axis=0)).astype(int) + 4
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    line = np.zeros((y1 - y0, x1 - x0), np.uint8)
    thick = max(1, int(round(0.045 * eye.width)))
    cv2.polylines(line, [np.round((upper - [x0, y0]) * 4).astype(np.int32)], False, 255, thick,
                  cv2.LINE_AA, shift=2)
    a = cv2.GaussianBlur(line.astype(np.float32) / 255.0, (0, 0), 0.6)[..., None] * strength
    roi = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(roi * (1 - a) + eye.lash * a + 0.5, 0, 255).astype(np.uint8)


def draw_lid(canvas: np.ndarray, eye: Eye, rest: np.ndarray, edge: np.ndarray, blink: float) -> None:
    """Draw the upper lid closed down to ``edge`` over the eye.

    ``rest`` is where the upper lid's edge would be with the eye open and
    ``edge`` where it is now, (K, 2) canvas pixels from corner to corner.
    Below the lash line the lid is the band of skin just above it, mirrored
    down column by column: the skin keeps its own grain (a stretch would
    streak it), it meets the real lid without a seam, and the photo's
    lashes are not part of it.
    """
    strength = float(np.clip((blink - 0.1) / 0.4, 0, 1))
    if strength <= 0:
        return
    lash_band = max(1.0, 0.06 * eye.width)
    order = np.argsort(rest[:, 0])
    xs_r, ys_r = rest[order, 0], rest[order, 1]
    order_e = np.argsort(edge[:, 0])
    xa, xb = float(min(xs_r[0], edge[order_e[0], 0])), float(max(xs_r[-1], edge[order_e[-1], 0]))
    h, w = canvas.shape[:2]
    x0, y0 = max(int(np.floor(xa)), 0), max(int(np.floor(ys_r.min() - lash_band)) - 1, 0)
    x1, y1 = min(int(np.ceil(xb)) + 1, w), min(int(np.ceil(edge[:, 1].max())) + 2, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    cols = np.arange(x0, x1, dtype=np.float32)
    y_skin = np.interp(cols, xs_r, ys_r).astype(np.float32) - np.float32(lash_band)  # skin ends here
    y_edge = np.interp(cols, edge[order_e, 0], edge[order_e, 1]).astype(np.float32)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    band = np.float32(eye.lid)
    t = np.mod(np.maximum(ys - y_skin, 0), 2 * band)
    src_y = (y_skin - (band - np.abs(t - band))).astype(np.float32)
    src_x = np.broadcast_to(cols[None, :], src_y.shape).astype(np.float32)
    skin = cv2.remap(canvas, src_x, src_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    # The band's typical colour per column: a brow hair or lash that reaches
    # into the band must not become a dark stripe across the lid. Its grain
    # stays, softened, around that colour.
    k = 6
    rows = (y_skin[None, :] - band * (np.arange(k, dtype=np.float32)[:, None] + 0.5) / k).astype(np.float32)
    samples = cv2.remap(canvas, np.broadcast_to(cols[None, :], rows.shape).astype(np.float32), rows,
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    tone = cv2.GaussianBlur(np.median(samples, axis=0)[None], (0, 0), 1.5)[0]
    # A lid hidden under a low brow has no skin of its own to show: where the
    # band is much darker than the skin below the eye, lean on that skin.
    target = eye.skin * np.float32(0.8)
    t_luma, s_luma = tone.mean(axis=1), float(target.mean())
    lean = 0.75 * np.clip((s_luma - t_luma) / (0.3 * s_luma), 0, 1)[:, None]
    tone = tone * (1 - lean) + target[None] * lean
    # The closed lid bulges: in the brow's shadow at the top, catching the
    # light toward its edge.
    down = np.clip((ys - y_skin[None, :]) / np.maximum(y_edge - y_skin, 1.0)[None, :], 0, 1)
    skin = (tone[None] + np.clip(skin - tone[None], -12, 12) * 0.7) * (0.88 + 0.12 * down)[..., None]
    inside = np.clip(y_edge[None, :] - ys + 0.5, 0, 1) * (ys >= y_skin[None, :])
    u = (cols - xa) / max(xb - xa, 1.0)
    a = (inside * smoothstep(np.minimum(u, 1 - u), 0.0, 0.12)[None, :] * strength)[..., None]
    roi = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(roi * (1 - a) + skin * a + 0.5, 0, 255).astype(np.uint8)
