"""Gaze: the iris moves inside the eye opening (eyeLookIn/Out/Up/Down).

A mesh warp cannot move the iris without dragging the lids with it, so each
eye gets its own small layer, made once per portrait: a sclera plate (the
eye with its iris inpainted away) and the iris itself as a soft-edged disc.
Per frame the iris is placed at its new position and both are clipped to
the moved lid opening, so the lids still cover the top of the iris.
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
    iris: np.ndarray  # eye region as photographed, float32 (h, w, 3)
    lash: np.ndarray  # colour of the lash line, RGB (3,)

    @property
    def lower(self) -> list[int]:
        """Lower-lid landmarks between the corners: they move with the head, not the lid."""
        return list(self.contour[len(self.upper):])

    @property
    def channel(self) -> dict[str, int]:
        """This eye's ARKit channels by short name: "Blink", "Wide", "LookIn", ..."""
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
                    for k in ("Blink", "Wide", "LookIn", "LookOut", "LookUp", "LookDown")}
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
        along = image[np.clip(np.round(landmarks[list(up[1:-1]), 1]).astype(int), 0, h - 1),
                      np.clip(np.round(landmarks[list(up[1:-1]), 0]).astype(int), 0, w - 1)]
        lash = np.min(along.astype(np.float32), axis=0) * 0.85
        eyes.append(Eye(side, contour, tuple(up), centre, radius, width, (x0, y0, x1, y1),
                        sclera.astype(np.float32), region.astype(np.float32), lash))
    return eyes


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
    hole = np.clip((radius * 1.35 - d) / 2.0, 0, 1)[..., None]
    top = opening[:, 1].min()
    shade = np.clip(1.0 - 0.25 * np.clip((top + 0.35 * radius - ys) / radius + 1, 0, 1), 0.75, 1)
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
