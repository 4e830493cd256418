"""The motion as an animated glTF 2.0 face (.glb) for 3D avatars.

One head node holds the canonical face mesh (MediaPipe's 468 vertices, the
lips split so the mouth can open) with the 52 rig shapes as morph targets
under their ARKit names (``mesh.extras.targetNames``, which three.js and
Blender read), a mouth cavity behind the lips that opens with them, and two
eyeballs. The animation drives the morph weights and the head's rotation
and position at the track's rate. Given a photo, the photo is projected
onto the mesh's UVs as its texture, so the face looks like the person.

Compact: morph targets are sparse (only the vertices a shape moves) and the
weights are stored as normalised 16-bit integers, as the spec allows.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..motion import ARKIT_NAMES, MotionTrack

CM = 0.01  # the rig and mesh are in centimetres; glTF is in metres
TEXTURE_SIDE = 1024
_FLOAT, _USHORT, _UINT = 5126, 5123, 5125
_ARRAY, _ELEMENTS = 34962, 34963


class _Blob:
    """The binary chunk: views appended 4-byte aligned."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict] = []

    def pad(self) -> None:
        """Zeros up to the next 4-byte boundary."""
        self.data += bytes(-len(self.data) % 4)

    def view(self, raw: bytes, target: int | None = None) -> int:
        self.pad()
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)}
        if target:
            view["target"] = target
        self.data += raw
        self.views.append(view)
        return len(self.views) - 1


class _Builder:
    def __init__(self) -> None:
        self.blob = _Blob()
        self.accessors: list[dict] = []

    def accessor(self, array: np.ndarray, kind: str, target: int | None = None,
                 normalized: bool = False, bounds: bool = False) -> int:
        a = np.ascontiguousarray(array)
        ctype = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint16): _USHORT, np.dtype(np.uint32): _UINT}[a.dtype]
        acc = {"bufferView": self.blob.view(a.tobytes(), target), "componentType": ctype,
               "count": int(a.shape[0]), "type": kind}
        if normalized:
            acc["normalized"] = True
        if bounds:
            flat = a.reshape(len(a), -1)
            acc["min"] = [float(v) for v in flat.min(axis=0)]
            acc["max"] = [float(v) for v in flat.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def sparse_target(self, delta: np.ndarray) -> int:
        """A POSITION morph target holding only the vertices that move."""
        moving = np.flatnonzero(np.abs(delta).max(axis=1) > 1e-6)
        if not len(moving):
            moving = np.array([0])  # a sparse accessor needs one entry; it stays zero
        idx = moving.astype(np.uint32)
        vals = np.zeros((len(moving), 3), np.float32)
        vals[:] = np.where(np.abs(delta[moving]) > 1e-6, delta[moving], 0.0)
        full = np.zeros((len(delta), 3), np.float32)  # what a reader sees: zeros, then the sparse values
        full[moving] = vals
        acc = {"componentType": _FLOAT, "count": int(len(delta)), "type": "VEC3",
               "min": [float(v) for v in full.min(axis=0)], "max": [float(v) for v in full.max(axis=0)],
               "sparse": {"count": int(len(idx)),
                          "indices": {"bufferView": self.blob.view(idx.tobytes()), "componentType": _UINT},
                          "values": {"bufferView": self.blob.view(vals.tobytes())}}}
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _quaternion(rot: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) of a rotation matrix (3, 3)."""
    m = rot
    w = np.sqrt(max(0.0, 1 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    x = np.copysign(np.sqrt(max(0.0, 1 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    y = np.copysign(np.sqrt(max(0.0, 1 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    z = np.copysign(np.sqrt(max(0.0, 1 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    q = np.array([x, y, z, w])
    return q / np.linalg.norm(q)


def _sphere(centre: np.ndarray, radius: float, rings: int = 10, segments: int = 16):
    th = np.linspace(0, np.pi, rings + 1)
    ph = np.linspace(0, 2 * np.pi, segments + 1)
    t, p = np.meshgrid(th, ph, indexing="ij")
    # Pole toward the viewer (+z): the iris sits around it.
    pts = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    colours = np.where((t.reshape(-1) < 0.42)[:, None], [0.22, 0.15, 0.1, 1.0], [0.93, 0.91, 0.88, 1.0])
    colours[t.reshape(-1) < 0.2] = [0.03, 0.03, 0.03, 1.0]
    faces = []
    for i in range(rings):
        for j in range(segments):
            a, b = i * (segments + 1) + j, (i + 1) * (segments + 1) + j
            faces += [(a, b, a + 1), (a + 1, b, b + 1)]
    return (centre + radius * pts).astype(np.float32), pts.astype(np.float32), colours.astype(np.float32), \
        np.array(faces, np.uint32)


def _cavity(rest: np.ndarray, rig: np.ndarray):
    """A pocket behind the lips: the inner-lip ring, and a smaller ring set
    back inside, closed; it moves with the lips (the back ring half as much)."""
    from ..face import regions as R

    ring = list(R.LIPS_UPPER_INNER) + list(R.LIPS_LOWER_INNER[-2:0:-1])
    front = rest[ring]
    centre = front.mean(axis=0)
    back = centre + (front - centre) * 0.55 + np.array([0, 0.3, -2.2])
    pts = np.concatenate([front, back, [centre + np.array([0, 0.3, -2.6])]])
    n = len(ring)
    faces = []
    for i in range(n):
        j = (i + 1) % n
        faces += [(i, n + i, j), (j, n + i, n + j), (n + i, 2 * n, n + j)]
    follow = np.concatenate([rig[:, ring], 0.5 * rig[:, ring], 0.4 * rig[:, ring].mean(axis=1, keepdims=True)], axis=1)
    return pts.astype(np.float32), np.array(faces, np.uint32), follow.astype(np.float32)


def face_texture(photo: np.ndarray, landmarks: np.ndarray, uv: np.ndarray, tris: np.ndarray,
                 side: int = TEXTURE_SIDE) -> np.ndarray:
    """The photo projected onto the mesh's UV layout, RGB (side, side, 3);
    outside the face the nearest skin is spread."""
    import cv2

    from ..render.warp import rasterise_ids, remap_field, triangle_affines

    dst = uv * side
    ids = rasterise_ids(dst, tris, np.arange(len(tris)), (side, side))
    mx, my = remap_field(ids, triangle_affines(dst, landmarks[:, :2], tris))
    tex = cv2.remap(photo, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    hole = (ids < 0).astype(np.uint8)
    small = cv2.resize(tex, (side // 4, side // 4), interpolation=cv2.INTER_AREA)
    filled = cv2.inpaint(small, cv2.resize(hole, (side // 4, side // 4), interpolation=cv2.INTER_NEAREST), 5,
                         cv2.INPAINT_TELEA)
    return np.where(hole[..., None] > 0, cv2.resize(filled, (side, side)), tex)


def _png(rgb: np.ndarray) -> bytes:
    import cv2

    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


#: The skin's surface: a plain colour, or the photo (texture 0).
_SKIN_COLOUR = {"baseColorFactor": [0.86, 0.68, 0.58, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.7}
_SKIN_TEXTURE = {"baseColorTexture": {"index": 0}, "metallicFactor": 0.0, "roughnessFactor": 0.75}
#: The materials after the skin's: the mouth cavity's and the eyeballs'.
_MOUTH_AND_EYE = [
    {"name": "mouth", "doubleSided": True,
     "pbrMetallicRoughness": {"baseColorFactor": [0.18, 0.05, 0.05, 1.0], "metallicFactor": 0.0,
                              "roughnessFactor": 0.9}},
    {"name": "eye", "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0,
                                             "roughnessFactor": 0.25}},
]


def build_glb(track: MotionTrack, photo: np.ndarray | None = None, landmarks: np.ndarray | None = None,
              rig: np.ndarray | None = None) -> bytes:
    """The GLB file's bytes for ``track`` (and a face ``photo`` with its
    tracked ``landmarks`` (478, 3) in photo pixels, for the texture)."""
    face = _face_geometry(rig)
    textured = photo is not None and landmarks is not None
    b = _Builder()
    # The binary chunk is laid out in the order of these calls.
    attributes = _vertex_attributes(b, face, textured)
    targets = _morph_targets(b, face)
    skin, texture = _texture(b, face, photo, landmarks) if textured else (_SKIN_COLOUR, {})
    meshes = _meshes(b, face, attributes, targets)
    animation = _animation(b, track)
    b.blob.pad()
    doc = {
        "asset": {"version": "2.0", "generator": "emoface"},
        "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"name": "head", "children": [1, 2]},
                  {"name": "face", "mesh": 0},
                  {"name": "eyes", "mesh": 1}],
        "meshes": meshes,
        "materials": [{"name": "skin", "pbrMetallicRoughness": skin}, *_MOUTH_AND_EYE],
        "animations": [animation],
        "accessors": b.accessors,
        "bufferViews": b.blob.views,
        "buffers": [{"byteLength": len(b.blob.data)}],
        **texture,
    }
    return _glb(doc, bytes(b.blob.data))


@dataclass(frozen=True, eq=False)
class _FaceGeometry:
    """The face mesh in centimetres, its rig, and the mouth cavity behind the lips."""

    rest: np.ndarray  # (468, 3) float32
    tris: np.ndarray  # (T, 3) uint32, the span across the mouth left open
    uv: np.ndarray  # (468, 2) float32
    rig: np.ndarray  # (52, 468, 3): each shape's vertex offsets
    cavity: tuple[np.ndarray, np.ndarray, np.ndarray]  # points, triangles, (52, points, 3) offsets


def _face_geometry(rig: np.ndarray | None) -> _FaceGeometry:
    from ..face.mesh import canonical_mesh
    from ..face.rig import default_rig
    from ..render.portrait import mouth_span_triangles

    mesh = canonical_mesh()
    rig = default_rig() if rig is None else np.asarray(rig, np.float32)
    rest = mesh.vertices.astype(np.float32)
    tris = mesh.triangles[~mouth_span_triangles(mesh.triangles)].astype(np.uint32)
    return _FaceGeometry(rest, tris, mesh.uv.astype(np.float32), rig, _cavity(rest, rig))


def _vertex_attributes(b: _Builder, face: _FaceGeometry, textured: bool) -> dict:
    """The face's positions and normals, and its UVs when it has a texture."""
    attributes = {"POSITION": b.accessor(face.rest * CM, "VEC3", _ARRAY, bounds=True),
                  "NORMAL": b.accessor(_normals(face.rest, face.tris), "VEC3", _ARRAY)}
    if textured:
        attributes["TEXCOORD_0"] = b.accessor(face.uv, "VEC2", _ARRAY)
    return attributes


def _morph_targets(b: _Builder, face: _FaceGeometry) -> tuple[list[dict], list[dict]]:
    """The 52 shapes as sparse morph targets: the face's, then the cavity's."""
    return tuple([{"POSITION": b.sparse_target(shapes[k] * CM)} for k in range(len(ARKIT_NAMES))]
                 for shapes in (face.rig, face.cavity[2]))


def _texture(b: _Builder, face: _FaceGeometry, photo: np.ndarray, landmarks: np.ndarray) -> tuple[dict, dict]:
    """The photo as the skin: the skin's material, and the document's
    images, textures and samplers."""
    png = _png(face_texture(photo, landmarks, face.uv, face.tris.astype(np.int64)))
    return _SKIN_TEXTURE, {"images": [{"bufferView": b.blob.view(png), "mimeType": "image/png"}],
                           "textures": [{"source": 0, "sampler": 0}],
                           "samplers": [{"magFilter": 9729, "minFilter": 9987}]}


def _meshes(b: _Builder, face: _FaceGeometry, attributes: dict,
            targets: tuple[list[dict], list[dict]]) -> list[dict]:
    """The face mesh (the skin, and the cavity behind the lips, both with
    the morph targets) and the eyes mesh (two eyeballs)."""
    from ..face import regions as R

    cav_pts, cav_faces, _ = face.cavity
    prims = [{"attributes": attributes, "indices": b.accessor(face.tris.reshape(-1), "SCALAR", _ELEMENTS),
              "material": 0, "targets": targets[0]},
             {"attributes": {"POSITION": b.accessor(cav_pts * CM, "VEC3", _ARRAY, bounds=True)},
              "indices": b.accessor(cav_faces.reshape(-1), "SCALAR", _ELEMENTS), "material": 1,
              "targets": targets[1]}]
    eyes = [_eyeball(b, face.rest[list(contour)].mean(axis=0) + np.array([0, 0, -1.15]))
            for contour in (R.LEFT_EYE_UPPER + R.LEFT_EYE_LOWER, R.RIGHT_EYE_UPPER + R.RIGHT_EYE_LOWER)]
    return [{"name": "face", "primitives": prims, "weights": [0.0] * len(ARKIT_NAMES),
             "extras": {"targetNames": list(ARKIT_NAMES)}},
            {"name": "eyes", "primitives": eyes}]


def _eyeball(b: _Builder, centre: np.ndarray) -> dict:
    pts, nrm, col, faces = _sphere(centre, 1.2)
    return {"attributes": {"POSITION": b.accessor(pts * CM, "VEC3", _ARRAY, bounds=True),
                           "NORMAL": b.accessor(nrm, "VEC3", _ARRAY),
                           "COLOR_0": b.accessor(col, "VEC4", _ARRAY)},
            "indices": b.accessor(faces.reshape(-1), "SCALAR", _ELEMENTS), "material": 2}


def _animation(b: _Builder, track: MotionTrack) -> dict:
    """The morph weights (node 1) and the head's rotation and translation
    (node 0), one key a frame, linear between."""
    from ..pose import rotation_from_angles

    times = (np.arange(len(track)) / track.fps).astype(np.float32)
    t_in = b.accessor(times, "SCALAR", bounds=True)
    weights = np.round(np.clip(track.coefficients, 0, 1) * 65535).astype(np.uint16).reshape(-1)
    rots = np.array([_quaternion(rotation_from_angles(*p[:3])) for p in track.pose.astype(np.float64)], np.float32)
    outputs = [b.accessor(weights, "SCALAR", normalized=True), b.accessor(rots, "VEC4"),
               b.accessor((track.pose[:, 3:6] * CM).astype(np.float32), "VEC3")]
    channels = [(1, "weights"), (0, "rotation"), (0, "translation")]
    return {"name": "talk",
            "samplers": [{"input": t_in, "output": out, "interpolation": "LINEAR"} for out in outputs],
            "channels": [{"sampler": i, "target": {"node": node, "path": path}}
                         for i, (node, path) in enumerate(channels)]}


def _glb(doc: dict, body: bytes) -> bytes:
    """The binary glTF container: the header, the JSON chunk, the binary chunk."""
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(body)
    return (struct.pack("<III", 0x46546C67, 2, total) + struct.pack("<II", len(text), 0x4E4F534A) + text
            + struct.pack("<II", len(body), 0x004E4942) + body)


def _normals(v: np.ndarray, tris: np.ndarray) -> np.ndarray:
    n = np.zeros_like(v, np.float64)
    fn = np.cross(v[tris[:, 1]] - v[tris[:, 0]], v[tris[:, 2]] - v[tris[:, 0]])
    for k in range(3):
        np.add.at(n, tris[:, k], fn)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    return n.astype(np.float32)


def save_glb(track: MotionTrack, path: str | Path, photo: np.ndarray | None = None,
             landmarks: np.ndarray | None = None) -> Path:
    """Write the animated face to ``path`` atomically."""
    from ..media.atomic import atomic_path

    path = Path(path)
    data = build_glb(track, photo, landmarks)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return path
