"""Forward mesh warp: rasterise the moved mesh, each triangle sampling the photo
at its source position (an exact piecewise-affine map, no approximate inverse).

Pure numpy + OpenCV; the one piece of state is the process-wide heap
setting of :func:`keep_frame_buffers`.
"""

from __future__ import annotations

import ctypes
import sys
from functools import lru_cache

import cv2
import numpy as np

SUBPIXEL_BITS = 4


@lru_cache(maxsize=1)
def keep_frame_buffers() -> bool:
    """Keep per-frame buffers (a few MB each, freed and re-made every frame)
    on the heap instead of fresh mmaps.

    With glibc's default thresholds each such buffer can come back as a
    new mapping whose pages fault in again; measured on a 512 px crop, that
    was 40 % of the render time, depending on what the process had done
    before. Process-wide but harmless: freed memory is reused, not grown.
    Returns whether the setting applied (glibc only).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 64 << 20)) and bool(libc.mallopt(m_trim_threshold, 128 << 20))


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


def remap_field(ids: np.ndarray, affines: np.ndarray, x0: int = 0, y0: int = 0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates (map_x, map_y) for every pixel of ``ids``, whose
    top-left pixel is (x0, y0) of the output. Pixels no triangle covers keep
    their own position."""
    h, w = ids.shape
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
    # Identity for "no triangle": one extra affine at index -1.
    flat = np.concatenate([affines.reshape(-1, 6), [[1, 0, 0, 0, 1, 0]]]).astype(np.float32)
    coef = np.take(flat, ids, axis=0)  # (H, W, 6): one row gather, cache friendly
    mx = np.multiply(coef[..., 0], xs)
    mx += coef[..., 1] * ys
    mx += coef[..., 2]
    my = np.multiply(coef[..., 3], xs)
    my += coef[..., 4] * ys
    my += coef[..., 5]
    return mx, my


def warp(image: np.ndarray, dst: np.ndarray, src: np.ndarray, tris: np.ndarray,
         order: np.ndarray, plate: np.ndarray | None = None,
         mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``image`` along the mesh moved from ``src`` to ``dst``.

    Only the box around triangles that move is resampled; everything else
    is the image itself. With a ``plate`` (like ``image``) and a ``mask``
    (H, W) uint8 of what the mesh may carry: where the moved mask is clear,
    the plate shows instead (the still background, and what the moving part
    uncovered). Returns the warped image and where it changed (H, W) uint8.
    """
    h, w = image.shape[:2]
    out = image.copy()
    moved = np.zeros((h, w), np.uint8)
    shift = np.abs(dst - src).max(axis=1) > 0.02
    live = shift[tris].any(axis=1)
    if not live.any():
        return out, moved
    corners = np.concatenate([dst[tris[live]].reshape(-1, 2), src[tris[live]].reshape(-1, 2)])
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int) - 1, 0, None)
    x1, y1 = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 2, [w, h])
    if x1 <= x0 or y1 <= y0:
        return out, moved
    off = np.array([x0, y0], np.float32)
    # Triangles that stay put map to themselves, which "no triangle" already
    # does; drawing only the moving ones halves the work for speech.
    ids = rasterise_ids(dst - off, tris, order[live[order]], (y1 - y0, x1 - x0))
    mx, my = remap_field(ids, triangle_affines(dst, src, tris), x0, y0)
    drawn = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    covered = ids >= 0
    if plate is not None and mask is not None:
        a = cv2.remap(mask, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        a = a.astype(np.float32) * np.float32(1 / 255)
        a[~covered] = 1.0  # what did not move keeps the photo exactly
        back = np.ascontiguousarray(plate[y0:y1, x0:x1])
        drawn = cv2.blendLinear(drawn, back, a, 1.0 - a)
    out[y0:y1, x0:x1] = drawn
    moved[y0:y1, x0:x1] = covered
    return out, moved
