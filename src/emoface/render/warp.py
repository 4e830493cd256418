"""Forward mesh warp: rasterise the moved mesh, each triangle sampling the photo
at its source position (an exact piecewise-affine map, no approximate inverse).

Pure numpy + OpenCV. (Its speed depends on the heap setting a program's
entry makes: emoface.processes.keep_frame_buffers.)
"""

from __future__ import annotations

from dataclasses import dataclass

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
    d = dst[tris].astype(np.float64)  # (M, 3, 2)
    s = src[tris].astype(np.float64)
    # Closed form (Cramer) over edge vectors: a batched solve of M 3x3
    # systems costs more than the rest of the per-triangle work together.
    e1, e2 = d[:, 1] - d[:, 0], d[:, 2] - d[:, 0]
    f1, f2 = s[:, 1] - s[:, 0], s[:, 2] - s[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ok = np.abs(det) > 1e-6
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)[:, None]
    # Linear part L with L @ e1 = f1, L @ e2 = f2.
    lx = (f1 * e2[:, 1:2] - f2 * e1[:, 1:2]) * inv  # d src / d x
    ly = (f2 * e1[:, 0:1] - f1 * e2[:, 0:1]) * inv  # d src / d y
    off = s[:, 0] - lx * d[:, 0, 0:1] - ly * d[:, 0, 1:2]
    off[~ok] = s[~ok].mean(axis=1)
    a = np.stack([lx, ly, off], axis=2)  # (M, 2, 3): rows x, y of the source
    return np.ascontiguousarray(a, dtype=np.float32)


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


@dataclass(frozen=True)
class Smoothing:
    """Where the warp's map is smoothed: ``parts`` (M,) int, each triangle's
    part (0: not smoothed), and ``sigma`` in pixels.

    A piecewise-affine map bends at every triangle edge: a lip moved
    unevenly (the lower lip hangs from the mouth corners) becomes a polygon.
    Smoothing the displacement over each part's own pixels rounds those
    kinks. Parts meet where the map may jump (the upper lip and the lower,
    which part and seal), so neither drags the other. Toward a part's edge
    the map fades back to exact, so parts meet each other, and the rest of
    the image, without a crack."""

    parts: np.ndarray
    sigma: float


def smooth_field(mx: np.ndarray, my: np.ndarray, parts: np.ndarray, sigma: float, x0: int = 0, y0: int = 0
                 ) -> None:
    """Smooth the map (mx, my) of the box at (x0, y0), in place: its
    displacement Gaussian-smoothed over each part's own pixels (``parts``
    labels 1, 2, ...; 0 stays exact), by normalised convolution, fading
    back to the exact map over ``1.5 sigma`` toward the part's edge."""
    h, w = parts.shape
    # The smoothed displacement is worked out on every other pixel (smooth,
    # it loses nothing there; a quarter of the pixels cost a quarter) and
    # blended with the exact map at full resolution, where its kinks are.
    sub = parts[::2, ::2]
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
    dx, dy = mx[::2, ::2] - xs[:, ::2], my[::2, ::2] - ys[::2]
    for part in range(1, int(sub.max(initial=0)) + 1):
        inside = sub == part
        if inside.any():
            stack = cv2.GaussianBlur(np.dstack([dx * inside, dy * inside, inside.astype(np.float32)]), (0, 0),
                                     sigma / 2)
            norm = np.maximum(stack[..., 2], 1e-4)
            share = np.clip(cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3) / (0.75 * sigma), 0, 1)
            sx, sy, share = np.moveaxis(cv2.resize(np.dstack([stack[..., 0] / norm, stack[..., 1] / norm, share]),
                                                   (w, h), interpolation=cv2.INTER_LINEAR), -1, 0)
            share *= parts == part
            mx += share * (xs + sx - mx)
            my += share * (ys + sy - my)


def _smoothed(mx: np.ndarray, my: np.ndarray, ids: np.ndarray, dst: np.ndarray, tris: np.ndarray,
              smoothing: Smoothing, x0: int, y0: int) -> None:
    # Only where the parts land (and the blur's reach) is worked on: a small share of the head's box.
    corners = dst[tris[smoothing.parts > 0]].reshape(-1, 2) - [x0, y0]
    m = 3 * smoothing.sigma + 1
    c, a = np.maximum(np.floor(corners.min(axis=0) - m).astype(int), 0)
    d, b = np.minimum(np.ceil(corners.max(axis=0) + m).astype(int), [ids.shape[1], ids.shape[0]])
    if b > a and d > c:
        parts = np.append(smoothing.parts, 0)[ids[a:b, c:d]]  # ids -1 (no triangle) reads the 0
        smooth_field(mx[a:b, c:d], my[a:b, c:d], parts, smoothing.sigma, x0 + c, y0 + a)


@dataclass(frozen=True)
class Region:
    """A box of the source image, traced through the mesh: where it lands
    after any move of the vertices (:meth:`landing`).

    A piecewise-affine map takes a box's extremes to the images of its
    corners, of where its edges cross triangle edges, or of mesh vertices
    inside it. Its edges are sampled every pixel, so crossings are found to
    within a pixel of stretch.
    """

    box: tuple[int, int, int, int]
    tri: np.ndarray  # (K,) triangle holding each edge sample, -1 for none
    bary: np.ndarray  # (K, 3) its barycentric weights
    points: np.ndarray  # (K, 2) the samples themselves (a point no triangle holds stays put)
    inside: np.ndarray  # (V,) bool: vertices inside the box
    tris: np.ndarray

    @classmethod
    def trace(cls, box: tuple[int, int, int, int], src: np.ndarray, tris: np.ndarray,
              shape: tuple[int, int]) -> Region:
        x0, y0, x1, y1 = box
        xs, ys = np.arange(x0, x1 + 1, dtype=np.float64), np.arange(y0, y1 + 1, dtype=np.float64)
        pts = np.concatenate([np.column_stack([xs, np.full_like(xs, y0)]), np.column_stack([xs, np.full_like(xs, y1)]),
                              np.column_stack([np.full_like(ys, x0), ys]), np.column_stack([np.full_like(ys, x1), ys])])
        ids = rasterise_ids(src, tris, np.arange(len(tris)), shape)
        h, w = shape
        ix = np.clip(np.round(pts).astype(int), 0, [w - 1, h - 1])
        tri = ids[ix[:, 1], ix[:, 0]]
        corners = src[tris[np.maximum(tri, 0)]]  # (K, 3, 2)
        m = np.concatenate([corners, np.ones((len(pts), 3, 1))], axis=2).transpose(0, 2, 1)  # columns [x y 1]
        rhs = np.column_stack([pts, np.ones(len(pts))])[..., None]
        ok = (tri >= 0) & (np.abs(np.linalg.det(m)) > 1e-9)
        bary = np.zeros((len(pts), 3))
        bary[ok] = np.linalg.solve(m[ok], rhs[ok])[..., 0]
        tri = np.where(ok, tri, -1)
        inside = (src[:, 0] >= x0) & (src[:, 0] <= x1) & (src[:, 1] >= y0) & (src[:, 1] <= y1)
        return cls(box, tri, bary, pts, inside, tris)

    def landing(self, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounding box (lo, hi) in output pixels of the box and where it lands."""
        held = self.tri >= 0
        edge = self.points.copy()
        edge[held] = np.einsum("kj,kjd->kd", self.bary[held], dst[self.tris[self.tri[held]]])
        x0, y0, x1, y1 = self.box
        ends = np.concatenate([edge, dst[self.inside], [[x0, y0], [x1, y1]]])
        # Bilinear sampling reads a pixel past the box.
        return ends.min(axis=0) - 2, ends.max(axis=0) + 2


def warp(image: np.ndarray, dst: np.ndarray, src: np.ndarray, tris: np.ndarray,
         order: np.ndarray, plate: np.ndarray | None = None,
         mask: np.ndarray | None = None,
         carried: Region | None = None,
         smoothing: Smoothing | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``image`` along the mesh moved from ``src`` to ``dst``.

    Only the box around triangles that move is resampled; everything else
    is the image itself. With a ``plate`` (like ``image``) and a ``mask``
    (H, W) uint8 of what the mesh may carry: where the moved mask is clear,
    the plate shows instead (the still background, and what the moving part
    uncovered). ``carried`` bounds where ``mask`` is set or ``plate``
    differs from ``image``: pixels that only the background reaches are
    left out, since they show the plate, which is the image there. With
    ``smoothing``, the map is smoothed inside its triangles. Returns the
    warped image and where it changed (H, W) uint8.
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
    # Triangles that stay put map to themselves, which "no triangle" already
    # does; drawing only the moving ones halves the work for speech. They
    # are drawn over the whole moving box even when less is resampled:
    # OpenCV clips a triangle that crosses the canvas's edge a pixel off its
    # true edge, so a smaller canvas would draw other pixels.
    ids = rasterise_ids(dst - np.array([x0, y0], np.float32), tris, order[live[order]], (y1 - y0, x1 - x0))
    if plate is not None and mask is not None and carried is not None:
        # Outside where the carried box lands, the output is the plate,
        # which is the image there: leave those pixels alone.
        lo, hi = carried.landing(dst)
        bx0, by0 = np.maximum([x0, y0], np.floor(lo).astype(int) - 1)
        bx1, by1 = np.minimum([x1, y1], np.ceil(hi).astype(int) + 2)
        ids = ids[max(by0 - y0, 0):max(by1 - y0, 0), max(bx0 - x0, 0):max(bx1 - x0, 0)]
        x0, y0, x1, y1 = bx0, by0, bx1, by1
    if x1 <= x0 or y1 <= y0:
        return out, moved
    mx, my = remap_field(ids, triangle_affines(dst, src, tris), x0, y0)
    if smoothing is not None:
        _smoothed(mx, my, ids, dst, tris, smoothing, x0, y0)
    # Bicubic: a bilinear sample between pixels averages them, and a head
    # moved by a fraction of a pixel came out with half the fine detail
    # (Laplacian energy) of the still photo around it.
    drawn = cv2.remap(image, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
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
