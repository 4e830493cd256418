"""Dubbing: redraw only the mouth of a moving video's frames.

Each frame keeps its own head, eyes, expression and background; the face
mesh is fitted to that frame's tracked points, the frame's own expression
is the baseline, and only what the new speech changes (the mouth layer) is
drawn, with the same warp, lip seal and mouth interior as a still portrait.
The face mesh alone is warped: the head does not move relative to the frame,
so there is no background to uncover and nothing above the mouth to resample.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..face import regions as R
from ..face.mesh import canonical_mesh
from ..face.rig import apply, default_rig
from ..motion import ARKIT_NAMES, layer_mask, lip_aperture
from .mouth import palette
from .mouth_bank import default_bank, paint_interior
from ..geometry import umeyama
from .portrait import feather, lip_seal, mouth_span_triangles, seal_weight
from .warp import warp

# Only the mouth layer's channels are redrawn; the eyes and brows stay the
# frame's own (and so need no lid or iris drawing).
_MOUTH = layer_mask("mouth")
# Faces narrower than this (pixels) are redrawn enlarged to it; the still
# renderer's 512 px crop holds a face of about this size.
_WORK_FACE_PX = 320.0


class MouthRedrawer:
    """Redraws the mouth of video frames for new mouth coefficients.

    Parameters
    ----------
    reference : ndarray (H, W, 3) uint8
        A frame of the video, for the colours of lips, teeth and mouth.
    landmarks : ndarray (478, 3)
        Its tracked points, in its pixels.
    rig : ndarray (52, 468, 3), optional
        Displacement fields in canonical cm (default: the calibrated rig).
    """

    def __init__(self, reference: np.ndarray, landmarks: np.ndarray,
                 rig: np.ndarray | None = None) -> None:
        mesh = canonical_mesh()
        self._canon = mesh.vertices
        self._rig = default_rig() if rig is None else np.asarray(rig, np.float32)
        self._tris = mesh.triangles[~mouth_span_triangles(mesh.triangles)].astype(np.int64)
        lm = np.asarray(landmarks, np.float32)[:468, :2]
        inner = np.concatenate([lm[list(R.LIPS_UPPER_INNER)], lm[list(R.LIPS_LOWER_INNER[::-1])]])
        self._colours = palette(reference, lm[list(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER)], inner)
        self._bank = default_bank()

    def render(self, frame: np.ndarray, landmarks: np.ndarray, own: np.ndarray,
               target: np.ndarray) -> np.ndarray:
        """``frame`` with its mouth moved from ``own`` coefficients (what the
        frame shows) to ``target``'s mouth channels; RGB uint8 like ``frame``."""
        delta = np.where(_MOUTH, np.asarray(target, np.float32) - own, 0.0).astype(np.float32)
        coeffs = np.where(_MOUTH, target, own).astype(np.float32)
        # Right-handed fit frame: x right, y up, z toward the viewer.
        rest = np.asarray(landmarks, np.float64)[:468] * np.array([1, -1, -1])
        s, rot, _ = umeyama(self._canon, rest)
        seal = seal_weight(coeffs, float(lip_aperture(own))) * lip_seal(rest)
        field = np.asarray(apply(self._rig, delta), np.float64) @ (s * rot).T
        moved = rest + seal + field
        dst = moved[:, :2] * np.array([1, -1])
        src = rest[:, :2] * np.array([1, -1])
        order = np.argsort(moved[self._tris, 2].mean(axis=1))
        # Work on the box around the face only, at a working size where the
        # lips are tens of pixels thick (a small face is drawn larger, then
        # reduced: the lip line stays smooth instead of stepping).
        h, w = frame.shape[:2]
        pts = np.concatenate([dst, src])
        pad = 0.1 * float(np.ptp(src[:, 0]))
        x0, y0 = np.clip(np.floor(pts.min(axis=0) - pad).astype(int), 0, [w, h])
        x1, y1 = np.clip(np.ceil(pts.max(axis=0) + pad).astype(int), 0, [w, h])
        if x1 - x0 < 4 or y1 - y0 < 4:
            return frame
        k = max(1.0, _WORK_FACE_PX / max(float(np.ptp(src[:, 0])), 1.0))
        crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
        size = (round((x1 - x0) * k), round((y1 - y0) * k))
        work = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC) if k > 1 else crop
        off = np.array([x0, y0])
        d, s_ = (dst - off + 0.5) * k - 0.5, (src - off + 0.5) * k - 0.5
        out, changed = warp(work, d, s_, self._tris, order)
        # Where the frame shows its own teeth, they stay, on its own jaws;
        # elsewhere the drawn interior (others' mouths, drawn into a dubbed
        # face, made dlib read open vowels open 0.79 of the time, against 0.93).
        bank = self._bank.with_photo(work, s_, self._colours["lip"]) if self._bank is not None else None
        if bank is not None and bank.own is None:
            bank = None
        paint_interior(out, d, self._colours, bank, coeffs)
        upper, lower = d[list(R.LIPS_UPPER_INNER)], d[list(R.LIPS_LOWER_INNER)]
        cv2.fillPoly(changed, [np.concatenate([upper, lower[::-1]]).astype(np.int32)], 1)
        alpha = feather(changed)
        if k > 1:
            out = cv2.resize(out, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
            alpha = cv2.resize(alpha, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        result = frame.copy()
        blend = crop.astype(np.float32) + (out.astype(np.float32) - crop) * alpha[..., None]
        result[y0:y1, x0:x1] = np.clip(blend + 0.5, 0, 255).astype(np.uint8)
        return result
