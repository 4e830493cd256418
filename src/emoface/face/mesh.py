"""MediaPipe's canonical face mesh, read from the geometry metadata in the model.

The metadata is a protobuf (``GeometryPipelineMetadata``). mediapipe 1.x no longer
ships the Python classes for it, and the message is tiny, so it is read here
with a minimal wire-format decoder: field 1 = canonical_mesh (Mesh3d: field 3
vertex_buffer floats x, y, z, u, v; field 4 index_buffer uint32 triangles),
field 2 = procrustes_landmark_basis (landmark_id, weight).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .model import bundle_member, model_path

METADATA = "geometry_pipeline_metadata_landmarks.binarypb"


@dataclass(frozen=True, eq=False)
class CanonicalMesh:
    """The 468-vertex canonical face.

    Attributes
    ----------
    vertices : ndarray (468, 3), float64, centimetres; x to the viewer's right,
        y up, z toward the viewer (the subject's right eye has x < 0).
    uv : ndarray (468, 2)
    triangles : ndarray (898, 3), int
    procrustes : dict landmark id -> weight, the stable points for pose fits.
    """

    vertices: np.ndarray
    uv: np.ndarray
    triangles: np.ndarray
    procrustes: dict[int, float]


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def _fields(buf: bytes) -> Iterator[tuple[int, int, object]]:
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            val, i = buf[i:i + n], i + n
        elif wire == 5:
            val, i = struct.unpack_from("<f", buf, i)[0], i + 4
        elif wire == 1:
            val, i = struct.unpack_from("<d", buf, i)[0], i + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield num, wire, val


def _packed_varints(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def parse_metadata(buf: bytes) -> CanonicalMesh:
    """Decode ``GeometryPipelineMetadata`` bytes into a :class:`CanonicalMesh`."""
    verts: list[float] = []
    index: list[int] = []
    basis: dict[int, float] = {}
    for num, wire, val in _fields(buf):
        if num == 1 and wire == 2:
            for n2, w2, v2 in _fields(val):  # type: ignore[arg-type]
                if n2 == 3:
                    verts.extend(np.frombuffer(v2, "<f4").tolist() if w2 == 2 else [v2])
                elif n2 == 4:
                    index.extend(_packed_varints(v2) if w2 == 2 else [v2])
        elif num == 2 and wire == 2:
            ref = dict((n2, v2) for n2, _, v2 in _fields(val))  # type: ignore[arg-type]
            basis[int(ref.get(1, 0))] = float(ref.get(2, 0.0))
    vb = np.asarray(verts, np.float64).reshape(-1, 5)
    return CanonicalMesh(vb[:, :3], vb[:, 3:], np.asarray(index, np.int64).reshape(-1, 3), basis)


@lru_cache(maxsize=2)
def canonical_mesh(path: Path | None = None) -> CanonicalMesh:
    """The canonical mesh from the model bundle at ``path`` (default: installed)."""
    return parse_metadata(bundle_member(path or model_path(), METADATA))
