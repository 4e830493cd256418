"""Portrait renderer: the rig applied to a photo, frame by frame.

Per portrait, once: crop around the face, fit the canonical rig to the tracked
landmarks (similarity: scale, rotation, depth), take the photo's own
blendshape scores as the baseline, and build a control mesh: the face mesh
(the mouth opened into a hole once it moves) and head rings that move with
the head (hair, ears, neck), plus a background plate: the crop with the head
inpainted away. Per frame: displace, rotate about the neck pivot, rasterise forward
over the plate (so background the head uncovers is background, and the
background never stretches), draw the mouth interior and eyes, paste back
into the full photo. Creases of the expression (forehead lines, the frown
furrow, the nasolabial fold, ...) shade the photo before it is warped, so
they move with the skin (render/detail.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ..face import regions as R
from ..face.mesh import canonical_mesh
from ..face.rig import apply, default_rig
from ..face.tracker import FaceObservation, expression_of
from ..geometry import umeyama
from ..motion import ARKIT_NAMES, layer_mask, lip_aperture
from ..pose import NECK_PIVOT, VIEW_DISTANCE, rotation_from_angles
from .detail import DetailLayer
from .eyes import draw_gaze, draw_lid, make_eyes
from .mouth import palette
from .mouth_bank import default_bank, paint_interior
from .warp import Region, Smoothing, warp

_MOUTH = layer_mask("mouth")

# A warp shows a turn only by moving what the photo already shows (no new
# side of the head), so a viewer, and a face tracker, perceives about 70 % of
# the yaw and 85 % of the pitch the mesh turns by. The mesh turns further so
# that the perceived pose is the asked one (measured on real portraits:
# docs/rig.md). Roll is seen in full.
PERCEIVED_GAIN = np.array([1.4, 1.15, 1.0])


#: The region around the mouth whose warp is smoothed (lips round, not
#: polygons): an ellipse about the mouth's centre, in half mouth widths,
#: and the smoothing's reach, in the same unit. Beyond the ellipse the map
#: stays exact: smoothing the chin there let the background in at its edge.
LIP_REGION = (1.7, 1.3)
LIP_SMOOTHING = 0.12


def _lip_smoothing(src: np.ndarray, tris: np.ndarray) -> Smoothing:
    """The lower face's smoothing in two parts, above and below the line
    where the lips meet (extended sideways from the corners)."""
    left, right = src[list(R.MOUTH_CORNERS)]
    centre, half = (left + right) / 2, float(np.linalg.norm(right - left)) / 2
    rel = (src[tris] - centre) / (np.array(LIP_REGION) * half)
    near = (rel ** 2).sum(axis=-1).max(axis=1) < 1
    seam = (src[list(R.LIPS_UPPER_INNER)] + src[list(R.LIPS_LOWER_INNER)]) / 2
    seam = seam[np.argsort(seam[:, 0])]
    middle = src[tris].mean(axis=1)
    below = middle[:, 1] > np.interp(middle[:, 0], seam[:, 0], seam[:, 1])
    return Smoothing(np.where(near, 1 + below, 0), max(LIP_SMOOTHING * half, 0.5))


def mouth_span_triangles(tris: np.ndarray) -> np.ndarray:
    """Mask of canonical triangles that bridge the inner lips (the closed mouth)."""
    up, lo = set(R.LIPS_UPPER_INNER[1:-1]), set(R.LIPS_LOWER_INNER[1:-1])
    corners = {78, 308}
    return np.array([bool(set(t) & up) and bool(set(t) & lo) or
                     (bool(set(t) & corners) and bool(set(t) & (up | lo)) and
                      set(t) <= (up | lo | corners)) for t in tris.tolist()])


_EYE_SHAPES = {side: [ARKIT_NAMES.index(f"eye{k}{side.title()}")
                      for k in ("Blink", "Squint", "Wide", "LookDown", "LookUp")]
               for side in ("left", "right")}


def _fit_eyelids(rig: np.ndarray, canon: np.ndarray, rest_cm: np.ndarray) -> None:
    """Scale the lid shapes to this person's eye opening, in place.

    The canonical eye is a fixed size; a blink must bring *this* upper lid
    down to *this* lower lid, so lid travel scales with the tracked opening.
    """
    for side, (up, lo) in {"left": (R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER),
                           "right": (R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER)}.items():
        canon_gap = (canon[list(up[2:-2]), 1] - canon[list(lo[2:-2]), 1]).mean()
        real_gap = (rest_cm[list(up[2:-2]), 1] - rest_cm[list(lo[2:-2]), 1]).mean()
        ratio = float(np.clip(real_gap / max(canon_gap, 1e-6), 0.3, 3.0))
        for k in _EYE_SHAPES[side]:
            rig[k] *= ratio


@dataclass(frozen=True)
class Crop:
    """Where the working image sits in the photo: photo = working / scale + origin."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float


def _box(mask: np.ndarray, margin: int) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1) of a mask's nonzero pixels plus a margin."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    h, w = mask.shape
    return (max(cols[0] - margin, 0), max(rows[0] - margin, 0),
            min(cols[-1] + 1 + margin, w), min(rows[-1] + 1 + margin, h))


def lip_seal(rest: np.ndarray) -> np.ndarray:
    """Displacement (N, 3) that brings parted lips together at the midline.

    ARKit's neutral face has closed lips, so a photo that shows its teeth
    (a broad smile, speech caught mid-word) must have its lips sealed before
    the rig opens them again; otherwise the teeth show on every p, b and m.
    ``rest`` holds the face vertices in the fit frame (y up). Each lip moves
    half the gap; the skin above and below follows over twice the lip's
    thickness, and the pull fades toward the mouth corners.
    """
    up, lo = rest[list(R.LIPS_UPPER_INNER)], rest[list(R.LIPS_LOWER_INNER)]
    order = np.argsort(up[:, 0])
    xs = up[order, 0]
    gap = np.interp(rest[:, 0], xs, np.maximum(up[:, 1] - lo[:, 1], 0)[order], left=0, right=0)
    up_y = np.interp(rest[:, 0], xs, up[order, 1])
    lo_y = np.interp(rest[:, 0], xs, lo[order, 1])
    reach_u = max(2.0 * float(rest[0, 1] - rest[13, 1]), 1e-6)  # upper lip: outer 0, inner 13
    reach_l = max(2.0 * float(rest[14, 1] - rest[17, 1]), 1e-6)  # lower lip: inner 14, outer 17
    centre = (rest[R.MOUTH_CORNERS[0], 0] + rest[R.MOUTH_CORNERS[1], 0]) / 2
    half = abs(rest[R.MOUTH_CORNERS[1], 0] - rest[R.MOUTH_CORNERS[0], 0]) / 2
    across = np.clip((half - np.abs(rest[:, 0] - centre)) / (0.12 * half), 0, 1)
    mid = (up_y + lo_y) / 2
    w_up = np.clip(1 - (rest[:, 1] - up_y) / reach_u, 0, 1) * (rest[:, 1] >= mid)
    w_lo = np.clip(1 - (lo_y - rest[:, 1]) / reach_l, 0, 1) * (rest[:, 1] < mid)
    seal = np.zeros_like(rest)
    seal[:, 1] = 0.5 * gap * across * (w_lo - w_up)
    return seal


def seal_weight(coeffs: np.ndarray, photo_aperture: float) -> float:
    """How much of :func:`lip_seal` a frame needs: the photo's own lips at
    its own parting (``photo_aperture``, as coefficients see it), closing
    toward sealed as the frame's lips part less."""
    return float(np.clip(1 - float(lip_aperture(coeffs)) / max(photo_aperture, 0.05), 0, 1))


class Silhouette:
    """The face's outline (its oval) as the warp must move it.

    The rig moves a 3D face; the warp moves a flat picture of it. Where the
    rig moves a point inside the face further out than the outline beside it
    (the jaw drops the front of the chin further than its underside, which
    the photo shows as the chin's edge), the picture between them is
    squeezed, and the soft edge of the chin against the collar becomes a
    hard, stepped line. So each outline point moves outward at least as far
    as the points just inside it.
    """

    def __init__(self, rest: np.ndarray, triangles: np.ndarray) -> None:
        oval = np.array(R.FACE_OVAL)
        touching = (triangles[:, :, None] == oval).any(axis=1)  # (triangles, oval points)
        inner = [np.setdiff1d(triangles[touching[:, j]], oval) for j in range(len(oval))]
        self._oval = oval[[len(i) > 0 for i in inner]]
        # Row k averages the points just inside outline point k.
        self._mean = np.zeros((len(self._oval), len(rest)), np.float32)
        for k, i in enumerate(i for i in inner if len(i)):
            self._mean[k, i] = 1 / len(i)
        out = rest[self._oval, :2] - rest[oval, :2].mean(axis=0)
        self._normal = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def apply(self, field: np.ndarray) -> np.ndarray:
        """``field`` (468, 3), the rig's displacement of every face point,
        with the outline's outward move raised to its inner neighbours'."""
        inward = self._mean @ field[:, :2]
        lag = np.maximum(np.einsum("ij,ij->i", inward - field[self._oval, :2], self._normal), 0)
        field = field.copy()
        field[self._oval, :2] += lag[:, None] * self._normal
        return field


def feather(changed: np.ndarray) -> np.ndarray:
    """Alpha (H, W) float32 from a mask of changed pixels: unmoved pixels
    keep the image exactly (no resampling blur), a soft edge hides the seam."""
    alpha = np.zeros(changed.shape, np.float32)
    box = _box(changed, margin=10)
    if box is not None:
        sl = np.s_[box[1]:box[3], box[0]:box[2]]
        alpha[sl] = cv2.GaussianBlur(cv2.dilate(changed[sl], None, iterations=3).astype(np.float32),
                                     (0, 0), 2.0)
    return alpha


#: How far past the cut of the head's outline the head carries (in face widths).
RIM = 0.03


def head_mask(image: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Soft mask (H, W) float32 of what moves with the head: face, hair,
    ears, neck.

    GrabCut, seeded from the tracked face: the face oval and a column under
    the chin are head, a ring around the face and a wider neck column
    probably head, farther out probably background. ``face`` holds the 468
    face landmarks in pixels (y down). Run at a small size: the mask edge
    is feathered anyway.
    """
    h, w = image.shape[:2]
    oval = face[list(R.FACE_OVAL)]
    centre = oval.mean(axis=0)

    def ring(k: float) -> np.ndarray:
        return np.round(centre + (oval - centre) * k).astype(np.int32)

    s = min(1.0, 160 / max(h, w))
    sw, sh = max(8, round(w * s)), max(8, round(h * s))
    seeds = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    for k, label in ((2.2, cv2.GC_PR_BGD), (1.4, cv2.GC_PR_FGD), (0.92, cv2.GC_FGD)):
        cv2.fillPoly(seeds, [np.round(ring(k) * s).astype(np.int32)], int(label))
    # The neck is head too: carried with fading weight, it stretches between
    # jaw and collar instead of uncovering an invented neck.
    chin = face[R.CHIN]
    width = np.ptp(oval[:, 0])

    def column(half: float, depth: float) -> np.ndarray:
        return np.array([[chin[0] - half, chin[1] - 0.3 * width], [chin[0] + half, chin[1] - 0.3 * width],
                         [chin[0] + half, chin[1] + depth], [chin[0] - half, chin[1] + depth]])

    cv2.fillPoly(seeds, [np.round(column(0.3 * width, 0.36 * width) * s).astype(np.int32)], int(cv2.GC_PR_FGD))
    cv2.fillPoly(seeds, [np.round(column(0.15 * width, 0.2 * width) * s).astype(np.int32)], int(cv2.GC_FGD))
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    fg = np.zeros((sh, sw), np.uint8)
    try:
        # GrabCut draws from OpenCV's generator (one per thread), which each
        # call moves on: seeded, the same photo gets the same mask every time
        # (0 is the state a fresh thread starts in).
        cv2.setRNGSeed(0)
        cv2.grabCut(small, seeds, None, np.zeros((1, 65)), np.zeros((1, 65)), 4, cv2.GC_INIT_WITH_MASK)
        fg = ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.uint8)
    except cv2.error:  # a flat image can leave one model empty
        cv2.fillPoly(fg, [np.round(ring(1.3) * s).astype(np.int32)], 1)
    # One piece: the component that holds the face.
    n, labels = cv2.connectedComponents(fg)
    cx, cy = np.clip(np.round(centre * s).astype(int), 0, [sw - 1, sh - 1])
    if n > 1 and labels[cy, cx] > 0:
        fg = (labels == labels[cy, cx]).astype(np.uint8)
    cv2.fillPoly(fg, [np.round(ring(1.0) * s).astype(np.int32)], 1)
    soft = cv2.resize(fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(soft, (0, 0), max(1.0, 0.6 / s))
    soft = np.clip((soft - 0.5) * 2.0 + 0.5, 0, 1).astype(np.float32)
    # The cut, made at a small size, stops short of the head's outermost
    # hair and its dark rim; left behind, they stayed as an outline of the
    # head floating in the background once it moved. The head carries a
    # rim of RIM face widths past the cut (docs/reenact.md: +0.4-1.2 dB on
    # the tune clips; the plate behind it is filled as before).
    r = max(1, round(RIM * width))
    return cv2.dilate(soft, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))


def background_plate(image: np.ndarray, head: np.ndarray, chin: float | None = None) -> np.ndarray:
    """The image with the head (mask ``head``, (H, W) in 0..1) inpainted
    away: what shows where a turning head uncovers the background.

    Below the ``chin`` row the photo stays as it is: what a head that rises
    or turns uncovers there is more neck and collar, never background seen
    through the body.

    Inpainted at a quarter of the size: the plate only ever shows in thin
    strips beside a moving head, where a soft fill reads as background and
    a sharp one costs seconds.
    """
    h, w = image.shape[:2]
    if chin is not None:
        rows = np.arange(h, dtype=np.float32)[:, None]
        head = head * np.clip((chin - rows) / max(0.02 * h, 1.0) + 1.0, 0, 1)
    hole = cv2.dilate((head > 0.02).astype(np.uint8) * 255, None, iterations=3)
    sw, sh = max(8, w // 4), max(8, h // 4)
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.dilate(cv2.resize(hole, (sw, sh), interpolation=cv2.INTER_NEAREST), None)
    filled = cv2.inpaint(small, small_hole, 3, cv2.INPAINT_TELEA)
    up = cv2.GaussianBlur(cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR), (0, 0), 2.0)
    # The photo wherever it shows background already; the fill behind the
    # head, reaching a little past its soft edge so no outline of it stays.
    a = cv2.GaussianBlur(cv2.dilate((head > 0.02).astype(np.float32), None, iterations=2),
                         (0, 0), 1.0)[..., None]
    return np.clip(image * (1 - a) + up * a + 0.5, 0, 255).astype(np.uint8)


def face_crop(shape: tuple[int, ...], face: FaceObservation, size: int) -> Crop:
    """Box around the face with room for hair, ears, neck and head motion."""
    x0, y0, x1, y1 = face.bbox
    half = 1.45 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.15 * (y1 - y0)
    bx0, by0 = int(max(0, cx - half)), int(max(0, cy - half))
    bx1, by1 = int(min(shape[1], cx + half)), int(min(shape[0], cy + half))
    return Crop(bx0, by0, bx1, by1, size / max(bx1 - bx0, by1 - by0))


class PortraitRenderer:
    """Renders coefficient/pose frames onto one portrait.

    Parameters
    ----------
    photo : ndarray (H, W, 3) uint8
    face : FaceObservation
        The tracked face in ``photo``.
    size : int
        Working resolution of the face crop (longest side, pixels).
    rig : ndarray (52, 468, 3), optional
        Displacement fields in canonical cm (default: the calibrated rig).
    """

    def __init__(self, photo: np.ndarray, face: FaceObservation, size: int = 512,
                 rig: np.ndarray | None = None) -> None:
        self.photo = photo
        self.crop = c = face_crop(photo.shape, face, size)
        wsize = (max(2, round((c.x1 - c.x0) * c.scale)), max(2, round((c.y1 - c.y0) * c.scale)))
        self.image = cv2.resize(photo[c.y0:c.y1, c.x0:c.x1], wsize,
                                interpolation=cv2.INTER_AREA if c.scale < 1 else cv2.INTER_CUBIC)
        lm_all = (face.landmarks - np.array([c.x0, c.y0, 0], np.float32)) * c.scale
        lm = lm_all[:468]
        self._eyes = make_eyes(self.image, lm_all[:, :2])
        self.baseline = expression_of(face.blendshapes)
        mesh = canonical_mesh()
        # Right-handed frame for the fit: x right, y up, z toward the viewer.
        rest = lm.astype(np.float64) * np.array([1, -1, -1])
        s, rot, t = umeyama(mesh.vertices, rest)
        self._rot, self._scale = rot, s
        rig = (default_rig() if rig is None else np.asarray(rig, np.float32)).copy()
        _fit_eyelids(rig, mesh.vertices, rest / s)
        self._rig = (s * np.einsum("ij,knj->kni", rot, rig)).astype(np.float32)
        self._pivot = s * rot @ NECK_PIVOT + t
        #: From the neck to the face's centre: what a turn swings about.
        self._arm = rest.mean(axis=0) - self._pivot
        self._silhouette = Silhouette(rest, mesh.triangles)
        self._build_control_mesh(rest, mesh.triangles)
        #: The expression-detail layer (creases); ``detail.enabled = False`` turns it off.
        self.detail = DetailLayer(self.image, mesh.vertices, mesh.triangles, lm[:, :2], s)
        # How far each upper lid's edge moves at a full blink (pixels, y down).
        self._blink_px = {eye.side: self._rig[eye.channel["Blink"]][list(eye.upper), :2] * np.array([1, -1])
                          for eye in self._eyes}
        # The photo's own lip parting, as coefficients see it: at that
        # aperture the photo's lips are kept, below it they close toward sealed.
        self._photo_aperture = float(lip_aperture(self.baseline))
        self._seal = np.zeros_like(self._rest)
        self._seal[:468] = lip_seal(self.vertices(np.zeros(len(ARKIT_NAMES), np.float32),
                                                  np.zeros(6, np.float32))[:468])
        inner = np.concatenate([lm[list(R.LIPS_UPPER_INNER), :2], lm[list(R.LIPS_LOWER_INNER[::-1]), :2]])
        self._colours = palette(self.image, lm[list(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER), :2], inner)
        bank = default_bank()
        self._bank = bank.with_photo(self.image, lm[:, :2], self._colours["lip"]) if bank is not None else None

    def _build_control_mesh(self, rest: np.ndarray, face_tris: np.ndarray) -> None:
        h, w = self.image.shape[:2]
        oval = rest[list(R.FACE_OVAL)]
        centre = oval.mean(axis=0)
        width = float(np.ptp(oval[:, 0]))
        rings, weights = [], []
        for k in (1.3, 1.75):
            ring = centre + (oval - centre) * np.array([k, k, 1.0])
            ring[:, 2] = centre[2] - 0.35 * width
            # The neck joins the body: points below the chin follow the head less.
            below = np.clip((rest[R.CHIN, 1] - ring[:, 1]) / (0.5 * width), 0, 1)
            rings.append(ring)
            # Hair and ears turn with the head as one piece. What the rings
            # carry beyond the head is masked off (head_mask), so the
            # background neither moves nor stretches.
            weights.append(1 - 0.8 * below)
        m = 0.05 * max(w, h)
        bx = np.linspace(-m, w + m, 7)
        by = np.linspace(-m, h + m, 7)
        border2d = np.array([(x, y) for x in bx for y in by
                             if x in (bx[0], bx[-1]) or y in (by[0], by[-1])])
        border = np.column_stack([border2d[:, 0], -border2d[:, 1], np.full(len(border2d), centre[2] - width)])
        self._rest = np.concatenate([rest, *rings, border])
        self._head_w = np.concatenate([np.ones(len(rest)), *weights, np.zeros(len(border))])
        n_face = len(rest)
        span = mouth_span_triangles(face_tris)
        # The triangles across the opening come last among the face's: they
        # carry the photo's own opening (its teeth, pixel for pixel) with the
        # head while the mouth stays as photographed, and are left out of
        # the draw once it moves, opening the hole the interior is painted in.
        face_tris = np.concatenate([face_tris[~span], face_tris[span]])
        self._n_face_tris = len(face_tris)
        # Outside the face: Delaunay over the oval, rings and border.
        outer_idx = np.concatenate([np.array(R.FACE_OVAL), n_face + np.arange(len(self._rest) - n_face)])
        pts2d = self._rest[outer_idx, :2]
        dt = Delaunay(pts2d)
        oval_poly = rest[list(R.FACE_OVAL), :2].astype(np.float32).reshape(-1, 1, 2)
        outer = [t for t in dt.simplices
                 if cv2.pointPolygonTest(oval_poly, tuple(map(float, pts2d[t].mean(0))), False) < 0]
        self._tris = np.concatenate([face_tris, outer_idx[np.array(outer)]]).astype(np.int64)
        self._span = np.zeros(len(self._tris), bool)
        self._span[self._n_face_tris - int(span.sum()):self._n_face_tris] = True
        #: What moves with the head in the working crop (H, W) float32 0..1;
        #: everything else is background and stays still.
        self.head = head_mask(self.image, rest[:, :2] * np.array([1, -1]))
        self._plate = background_plate(self.image, self.head, chin=float(-rest[R.CHIN, 1]))
        self._head_u8 = np.round(self.head * 255).astype(np.uint8)
        self._src2d = self._rest[:, :2] * np.array([1, -1])
        # Beyond this box the warp shows the photo whatever the mesh does.
        carried = _box((self._head_u8 > 0) | np.any(self._plate != self.image, axis=2), margin=2)
        self._carried = None if carried is None else Region.trace(carried, self._src2d, self._tris, (h, w))
        lips = _lip_smoothing(self._src2d, self._tris)
        self._smoothing = Smoothing(np.where(self._span, 0, lips.parts), lips.sigma)

    @property
    def fit_matrix(self) -> np.ndarray:
        """Canonical centimetres to this portrait's fit frame (working-crop
        pixels, x right, y up): the rig fit's scale times rotation, (3, 3)."""
        return self._scale * self._rot

    @contextlib.contextmanager
    def shape_override(self, k: int, field: np.ndarray | None = None,
                       scale: float = 1.0) -> Iterator[None]:
        """Within the block, shape ``k`` is ``field`` (canonical cm, (468, 3))
        instead of the rig's, times ``scale``: for tools that tune the rig
        (scripts/build_rig.py) by rendering candidates."""
        saved = self._rig[k].copy()
        if field is not None:
            self._rig[k] = (np.asarray(field, np.float64) @ self.fit_matrix.T).astype(np.float32)
        self._rig[k] *= np.float32(scale)
        try:
            yield
        finally:
            self._rig[k] = saved

    def vertices(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """Moved control vertices (N, 3) in the fit frame (y up, z toward viewer)."""
        delta = np.asarray(coeffs, np.float32) - self.baseline
        moved = self._rest + seal_weight(coeffs, self._photo_aperture) * self._seal
        moved[:468] += self._silhouette.apply(apply(self._rig, delta))
        if np.any(pose):
            angles = np.asarray(pose[:3], np.float64)
            r = self._rot @ rotation_from_angles(*(angles * PERCEIVED_GAIN)) @ self._rot.T
            # The pivot's move is in face centimetres along the head's axes
            # (emoface.pose); its depth shows as size.
            shift = self._rot @ np.asarray(pose[3:6], np.float64)
            grow = VIEW_DISTANCE / max(VIEW_DISTANCE - shift[2], 1.0)
            pivot = self._pivot + self._scale * np.array([shift[0], shift[1], 0.0])
            turned = ((moved - self._pivot) @ r.T) * grow + pivot
            # The gain turns the face further, not elsewhere: its centre goes
            # where the driver's own turn takes it. Turned about the neck,
            # the extra turn swung the face sideways, off the driver's by
            # up to 10 px of a 256 px face crop (benchmarks/reenact_eval.py).
            seen = self._rot @ rotation_from_angles(*angles) @ self._rot.T
            turned += self._arm @ (seen - r).T * grow
            moved = moved + (turned - moved) * self._head_w[:, None]
        return moved

    def render_crop(self, coeffs: np.ndarray, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame of the working crop, RGB uint8, and where it differs from
        the photo (float32 alpha, feathered)."""
        moved = self.vertices(coeffs, pose)
        dst = moved[:, :2] * np.array([1, -1])
        nf = self._n_face_tris
        depth = moved[self._tris[:nf], 2].mean(axis=1)
        order = np.concatenate([np.arange(nf, len(self._tris)), np.argsort(depth)])
        # A mouth the frame leaves as photographed keeps the photo's own
        # opening (its teeth, its shadows), carried with the head by the
        # triangles across it; a mouth that moves is opened and painted.
        painted = np.abs(coeffs[_MOUTH] - self.baseline[_MOUTH]).max() > 0.01
        if painted:
            order = order[~self._span[order]]
        creased = np.zeros(self.image.shape[:2], np.uint8)
        source = self.detail.apply(self.image, coeffs, self.baseline, creased)
        out, moved = warp(source, dst, self._src2d, self._tris, order, self._plate, self._head_u8,
                          self._carried, self._smoothing)
        changed = moved | creased
        if painted:
            paint_interior(out, dst, self._colours, self._bank, coeffs)
            mouth = np.concatenate([dst[list(R.LIPS_UPPER_INNER)], dst[list(R.LIPS_LOWER_INNER)][::-1]])
            cv2.fillPoly(changed, [mouth.astype(np.int32)], 1)
        for eye in self._eyes:
            idx = list(eye.contour)
            # The photo's eyes already look and close as its own coefficients
            # say: only what the frame changes from them is drawn.
            gaze = eye.gaze(coeffs) - eye.gaze(self.baseline)
            blink = float(coeffs[eye.channel["Blink"]] - self.baseline[eye.channel["Blink"]])
            # Wherever the lids moved off the photo's own, the warp has
            # stretched or squashed the eyeball; draw it whole instead.
            lids = max(abs(float(coeffs[eye.channel[k]] - self.baseline[eye.channel[k]]))
                       for k in ("Blink", "Squint", "Wide"))
            # A fraction of a pixel of gaze, or a lid barely moved, is better
            # left as photographed than redrawn (a video driver's gaze and lids
            # jitter by that much).
            if np.any(np.abs(gaze) > 0.6) or lids > 0.1:
                # The eyeball moves with the head (the lower lid), not with the upper lid.
                shift = (dst[eye.lower] - self._src2d[eye.lower]).mean(axis=0)
                draw_gaze(out, eye, dst[idx], shift, gaze)
                cv2.fillPoly(changed, [dst[idx].astype(np.int32)], 1)
            if blink > 0.03:
                edge = dst[list(eye.upper)]
                rest = edge - blink * self._blink_px[eye.side]
                draw_lid(out, eye, source, self._src2d[list(eye.upper)], rest, edge)
                cv2.fillPoly(changed, [dst[idx].astype(np.int32)], 1)
        return out, feather(changed)

    def render(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """One full frame at the photo's framing, RGB uint8 (H, W, 3)."""
        c = self.crop
        crop, alpha = self.render_crop(coeffs, pose)
        frame = self.photo.copy()
        box = _box(alpha > 0, margin=2)
        if box is None:
            return frame
        # Paste back only the part that changed, mapped to photo pixels.
        bx0, by0 = int(box[0] / c.scale), int(box[1] / c.scale)
        bx1 = min(int(np.ceil(box[2] / c.scale)), c.x1 - c.x0)
        by1 = min(int(np.ceil(box[3] / c.scale)), c.y1 - c.y0)
        # Sample the crop at the photo pixels' centres (an affine resize of the sub-box).
        m = np.array([[c.scale, 0, (bx0 + 0.5) * c.scale - 0.5],
                      [0, c.scale, (by0 + 0.5) * c.scale - 0.5]], np.float32)
        size = (bx1 - bx0, by1 - by0)
        # Bicubic both ways: warpAffine has no area filter (INTER_AREA is
        # bilinear there), and a bilinear resample at fractional positions
        # blurred every changed pixel of a photo smaller than the crop.
        flags = cv2.WARP_INVERSE_MAP | cv2.INTER_CUBIC
        back = cv2.warpAffine(crop, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        a = np.clip(cv2.warpAffine(alpha, m, size, flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR), 0, 1)
        sl = np.s_[c.y0 + by0:c.y0 + by1, c.x0 + bx0:c.x0 + bx1]
        # One pass in OpenCV instead of four float32 copies of the box.
        frame[sl] = cv2.blendLinear(back, np.ascontiguousarray(frame[sl]), a, 1.0 - a)
        return frame
