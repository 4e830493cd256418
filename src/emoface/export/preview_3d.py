"""A video of the 3D face, for users without a 3D tool: the same mesh, morph
targets, head motion and texture as the .glb (export/gltf_face.py), drawn
by a small software rasteriser (painter's order, one affine texture map and
one Lambert shade per triangle), mouth cavity and eyeballs behind.
"""

from __future__ import annotations

import cv2
import numpy as np

_LIGHT = np.array([0.3, 0.35, 1.0]) / np.linalg.norm([0.3, 0.35, 1.0])
_SKIN = np.array([219, 173, 148], np.uint8)


class MeshPreview:
    """Draws frames of the animated face at ``size`` pixels square."""

    def __init__(self, size: int = 512, photo: np.ndarray | None = None, landmarks: np.ndarray | None = None,
                 rig: np.ndarray | None = None) -> None:
        from ..face import regions as R
        from ..face.mesh import canonical_mesh
        from ..face.rig import default_rig
        from ..render.portrait import mouth_span_triangles
        from .gltf_face import face_texture

        mesh = canonical_mesh()
        self.size = size
        self._rest = mesh.vertices.astype(np.float64)
        self._rig = default_rig() if rig is None else np.asarray(rig, np.float32)
        self._tris = mesh.triangles[~mouth_span_triangles(mesh.triangles)].astype(np.int64)
        side = 512
        self._uv = mesh.uv.astype(np.float64) * side
        self._tex = (face_texture(photo, landmarks, mesh.uv, self._tris, side) if photo is not None
                     and landmarks is not None else np.full((side, side, 3), _SKIN, np.uint8))
        self._ring = list(R.LIPS_UPPER_INNER) + list(R.LIPS_LOWER_INNER[-2:0:-1])
        self._eyes = [list(R.LEFT_EYE_UPPER + R.LEFT_EYE_LOWER), list(R.RIGHT_EYE_UPPER + R.RIGHT_EYE_LOWER)]
        # Canonical cm to pixels: the face fills about 70 % of the frame.
        self._scale = 0.7 * size / float(np.ptp(self._rest[:, 1]))

    def frame(self, coeffs: np.ndarray, pose: np.ndarray) -> np.ndarray:
        from ..face.rig import apply
        from ..pose import rotation_from_angles
        from ..render.warp import rasterise_ids, remap_field, triangle_affines

        s = self.size
        v = self._rest + np.asarray(apply(self._rig, np.asarray(coeffs, np.float32)), np.float64)
        rot = rotation_from_angles(*np.asarray(pose[:3], np.float64))
        v = (v - [0, -2.0, 0]) @ rot.T + [0, -2.0, 0] + np.asarray(pose[3:6], np.float64)
        px = np.column_stack([s / 2 + v[:, 0] * self._scale, s / 2 - (v[:, 1] + 0.4) * self._scale])
        out = np.full((s, s, 3), 236, np.uint8)
        # Behind the face: the mouth's dark pocket and the eyeballs.
        cv2.fillPoly(out, [np.round(px[self._ring]).astype(np.int32)], (60, 22, 22), cv2.LINE_AA)
        for eye in self._eyes:
            c = px[eye].mean(axis=0)
            r = 0.45 * float(np.ptp(px[eye][:, 0]))
            cv2.circle(out, tuple(np.round(c).astype(int)), int(r), (235, 232, 226), -1, cv2.LINE_AA)
            cv2.circle(out, tuple(np.round(c).astype(int)), int(0.42 * r), (70, 48, 35), -1, cv2.LINE_AA)
            cv2.circle(out, tuple(np.round(c).astype(int)), int(0.2 * r), (12, 12, 12), -1, cv2.LINE_AA)
        t = self._tris
        nrm = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        facing = nrm[:, 2] > 0
        order = np.flatnonzero(facing)[np.argsort(v[t[facing]][:, :, 2].mean(axis=1))]
        ids = rasterise_ids(px, t, order, (s, s))
        mx, my = remap_field(ids, triangle_affines(px, self._uv, t))
        face = cv2.remap(self._tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        shade = np.append(0.35 + 0.65 * np.clip(nrm @ _LIGHT, 0, 1), 1.0).astype(np.float32)[ids]
        covered = ids >= 0
        out[covered] = np.clip(face[covered] * shade[covered][:, None], 0, 255).astype(np.uint8)
        return out
