"""Forward mesh warp: rasterise the moved mesh, each triangle sampling the photo
at its source position (an exact piecewise-affine map, no approximate inverse).

Pure numpy + OpenCV; no state.
"""

from __future__ import annotations

import cv2
import numpy as np

SUBPIXEL_BITS = 4


def triangle_affines(dst: np.ndarray, src: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Per-triangle affine maps from destination to source pixels.

    Parameters
    ----------
    dst, src : ndarray (N, 2)
        Vertex positions in the output and in the photo (pixels).
    tris : ndarray (M, 3) int

    Returns
    -------
    ndarray (M, 2, 3) float32: ``src = A @ [x, y, 1]``. Degenerate triangles
    map every point to their source centroid.
    """
    d = dst[tris]  # (M, 3, 2)
    s = src[tris]
    m = np.concatenate([d, np.ones((len(tris), 3, 1))], axis=2)  # rows [x y 1]
    det = np.linalg.det(m)
    ok = np.abs(det) > 1e-6
    a = np.zeros((len(tris), 3, 2))
    a[ok] = np.linalg.solve(m[ok], s[ok])
    a[~ok, 2, :] = s[~ok].mean(axis=1)
    return np.ascontiguousarray(a.transpose(0, 2, 1), dtype=np.float32)


def rasterise_ids(dst: np.ndarray, tris: np.ndarray, order: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray:
    """Triangle index covering each pixel (-1 where none), drawing ``order``
    first to last so later (nearer) triangles cover earlier ones."""
    ids = np.full(shape, -1, np.int32)
    pts = np.round(dst[tris] * (1 << SUBPIXEL_BITS)).astype(np.int32)  # (M, 3, 2)
    h, w = shape
    lim = np.array([w, h]) << SUBPIXEL_BITS
    visible = ((pts.max(axis=1) >= 0) & (pts.min(axis=1) < lim)).all(axis=1)
    for i in order:
        if visible[i]:
            cv2.fillConvexPoly(ids, pts[i], int(i), cv2.LINE_8, SUBPIXEL_BITS)
    return ids


def remap_field(ids: np.ndarray, affines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates (map_x, map_y) for every output pixel.

    Pixels no triangle covers keep their own position.
    """
    h, w = ids.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    a = affines[np.maximum(ids, 0)]  # (H, W, 2, 3)
    mx = a[..., 0, 0] * xs + a[..., 0, 1] * ys + a[..., 0, 2]
    my = a[..., 1, 0] * xs + a[..., 1, 1] * ys + a[..., 1, 2]
    none = ids < 0
    mx[none] = xs[none]
    my[none] = ys[none]
    return mx, my


def warp(image: np.ndarray, dst: np.ndarray, src: np.ndarray, tris: np.ndarray,
         order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``image`` along the mesh moved from ``src`` to ``dst``.

    Returns the warped image and how far each pixel moved (H, W) in pixels.
    """
    ids = rasterise_ids(dst, tris, order, image.shape[:2])
    mx, my = remap_field(ids, triangle_affines(dst, src, tris))
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    h, w = ids.shape
    moved = np.hypot(mx - np.arange(w, dtype=np.float32)[None, :],
                     my - np.arange(h, dtype=np.float32)[:, None])
    return out, moved
