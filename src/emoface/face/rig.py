"""The rig: one displacement field on the canonical mesh per ARKit blendshape.

Each field says where every vertex of the 468-vertex canonical face moves (in
centimetres, canonical axes: x to the viewer's right, y up, z toward the
viewer) when that shape is at 1.0. Fields are built from a few anatomical
handles with smooth falloff; the subject's right-side shapes are mirror
images of the left ones. Shapes add; :func:`apply` adds the corrective rules.

Pure numpy; :func:`build_rig` is deterministic. ``scripts/build_rig.py``
calibrates it against MediaPipe's blendshape model on real portraits and
writes the result to ``face/rig_data.npz``, which :func:`default_rig` loads.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..easing import smoothstep
from ..motion import ARKIT_NAMES, N_SHAPES
from . import regions as R

# Jaw hinge (temporomandibular joint), canonical cm: in front of the ear,
# about nose height, well behind the face surface.
JAW_HINGE = np.array([0.0, 0.3, -5.5])
JAW_OPEN_RAD = 0.27  # jawOpen = 1 drops the chin about 3 cm: a wide-open mouth
# How the lower lip's share of the jaw's drop falls off toward the corners.
LIP_HANG = 1.15
# eyeWide = 1 lifts the upper lid about 3 mm: the white shows above the iris.
WIDE_LIFT_CM = 0.28


def _gauss(v: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    d2 = ((v - centre) ** 2).sum(axis=1)
    return np.exp(-d2 / (2 * sigma * sigma))


def _contour_weight(v: np.ndarray, pts: np.ndarray, sigma: float) -> np.ndarray:
    """Falloff by distance to the nearest point of a contour, (N,)."""
    d = np.sqrt(((v[:, None, :2] - pts[None, :, :2]) ** 2).sum(-1)).min(axis=1)
    return np.exp(-(d * d) / (2 * sigma * sigma))


class _Geometry:
    """Derived landmarks and region weights of the canonical face."""

    def __init__(self, verts: np.ndarray) -> None:
        self.v = verts
        v = verts
        up_in = v[list(R.LIPS_UPPER_INNER)]
        lo_in = v[list(R.LIPS_LOWER_INNER)]
        self.corner_l = v[R.MOUTH_CORNERS[1]]
        self.mouth_centre = (v[13] + v[14]) / 2
        # Mouth midline y(x): halfway between inner upper and lower lip.
        xs = up_in[:, 0]
        order = np.argsort(xs)
        mid = (up_in[:, 1] + lo_in[:, 1]) / 2
        self.mid_y = np.interp(v[:, 0], xs[order], mid[order])
        cx = abs(self.corner_l[0])
        # Jaw boundary: the midline inside the mouth, rising toward the hinge.
        outside = np.clip((np.abs(v[:, 0]) - cx) / (7.5 - cx), 0, 1)
        boundary = self.mid_y + outside * (JAW_HINGE[1] - 1.2 - self.corner_l[1])
        inside_lips = np.abs(v[:, 0]) < cx - 0.05
        sharp = (v[:, 1] < self.mid_y).astype(float)
        soft = smoothstep(0.5 + (boundary - v[:, 1]) / 1.6)
        self.jaw = np.where(inside_lips & (np.abs(v[:, 1] - self.mid_y) < 1.5), sharp, soft)
        # The lower lip is not a rigid part of the jaw: held at the corners,
        # it hangs from them in a curve, so a dropping jaw parts the lips in
        # a lens (the gap across real speaking mouths, measured with the
        # tracker: 0.97, 0.89, 0.73 and 0.46 of the middle's at 0.2, 0.4,
        # 0.6 and 0.8 of the way to a corner), not a box. The chin below
        # moves with the jaw in full.
        across = np.clip(np.abs(v[:, 0]) / cx, 0, 1)
        hang = (1 - across * across) ** LIP_HANG
        below = smoothstep(np.clip((self.mid_y - v[:, 1]) / 1.2, 0, 1))
        lower_lip = inside_lips & (v[:, 1] < self.mid_y) & (self.mid_y - v[:, 1] < 1.5)
        self.jaw = np.where(lower_lip, self.jaw * (hang + (1 - hang) * below), self.jaw)
        self.jaw[list(R.MOUTH_CORNERS) + [78, 308]] = 0.5
        lips = np.array(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER + R.LIPS_UPPER_INNER + R.LIPS_LOWER_INNER)
        self.lip_area = _contour_weight(v, v[lips], 0.45)
        self.upper_lip = self.lip_area * (v[:, 1] >= self.mid_y) * (np.abs(v[:, 0]) < cx + 0.6)
        self.lower_lip = self.lip_area * (v[:, 1] < self.mid_y) * (np.abs(v[:, 0]) < cx + 0.6)
        self.lips = self.upper_lip + self.lower_lip
        self.radial = v - self.mouth_centre  # from the mouth's centre, (N, 3)
        self.mouth_region = _gauss(v, self.mouth_centre, 1.6)
        self.side_l = smoothstep(0.5 + v[:, 0] / 2.0)  # 1 on the subject's left half


def _jaw_rotation(g: _Geometry, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    r = g.v - JAW_HINGE
    rot = np.stack([r[:, 0], c * r[:, 1] - s * r[:, 2], s * r[:, 1] + c * r[:, 2]], axis=1)
    return (rot - r) * g.jaw[:, None]


def _eyelid(g: _Geometry, upper: tuple, lower: tuple, amount: float, reach: float) -> np.ndarray:
    """Move the upper lid ``amount`` of the way to the lower lid (negative: up).

    Vertices above the lid follow with a falloff of ``reach`` cm, so the lid
    skin stretches down over the eye instead of the eye being squashed.
    """
    v = g.v
    up, lo = v[list(upper)], v[list(lower)]
    gap = (lo - up)[:, 1]  # negative: lower lid is below
    d = np.zeros_like(v)
    near = np.sqrt(((v[:, None, :2] - up[None, :, :2]) ** 2).sum(-1))
    nearest = near.argmin(axis=1)
    above = v[:, 1] >= up[nearest, 1] - 1e-6
    fall = np.exp(-(near.min(axis=1) ** 2) / (2 * reach * reach)) * above
    d[:, 1] = amount * gap[nearest] * fall
    if amount < 0:  # eyeWide: a fixed lift rather than a fraction of the gap
        d[:, 1] = -amount * WIDE_LIFT_CM * fall
    d[list(upper), 1] = amount * gap if amount > 0 else -amount * WIDE_LIFT_CM
    d[[upper[0], upper[-1]], 1] = 0.0  # the eye corners stay put
    return d


def _lower_lid(g: _Geometry, lower: tuple, lift: float) -> np.ndarray:
    w = _contour_weight(g.v, g.v[list(lower)], 0.35) * (g.v[:, 1] <= g.v[list(lower), 1].max() + 0.05)
    d = np.zeros_like(g.v)
    d[:, 1] = lift * w
    d[[lower[0], lower[-1]], 1] = 0.0
    return d


def _jaw_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """jawOpen, jawForward, jawLeft and mouthClose, name -> (468, 3)."""
    jaw = g.jaw[:, None]
    s = {"jawOpen": _jaw_rotation(g, JAW_OPEN_RAD),
         "jawForward": jaw * np.array([0, -0.1, 0.8]),
         "jawLeft": jaw * np.array([0.8, 0, 0])}
    # mouthClose is defined against an open jaw (apply() caps it by jawOpen):
    # the lower lip takes back two thirds of the jaw's drop and the upper lip
    # comes down to meet it, so the lips seal without the jaw closing.
    close = -s["jawOpen"] * (g.lower_lip[:, None] > 0.05) * g.lower_lip[:, None] * 0.65
    close[:, 1] -= 0.35 * np.abs(s["jawOpen"][:, 1]).max() * g.upper_lip * (g.upper_lip > 0.05)
    s["mouthClose"] = close
    return s


def _lip_rounding_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """mouthFunnel and mouthPucker, name -> (468, 3)."""
    v, cl, radial, lips = g.v, g.corner_l, g.radial, g.lips
    # Funnel: the lips flare into an O, most at the middle, corners drawn in.
    taper = np.clip(1 - (radial[:, 0] / abs(cl[0] - g.mouth_centre[0])) ** 2, 0, 1)
    funnel = np.zeros_like(v)
    funnel[:, 1] = np.sign(radial[:, 1]) * 0.35 * lips * taper
    funnel[:, 0] = -radial[:, 0] * 0.2 * lips
    funnel[:, 2] = 0.5 * lips
    # Pucker: the corners come in about a third of the mouth's width.
    pucker = np.zeros_like(v)
    pucker[:, 0] = -radial[:, 0] * 0.5 * _gauss(v, g.mouth_centre, 2.5)
    pucker[:, 1] = -radial[:, 1] * 0.15 * lips
    pucker[:, 2] = 0.6 * g.mouth_region * np.clip(1.2 - np.abs(radial[:, 0]) / 3, 0, 1)
    return {"mouthFunnel": funnel, "mouthPucker": pucker}


def _mouth_corner_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """mouthLeft and the left corner's smile, frown, dimple and stretch, name -> (468, 3)."""
    v, cl = g.v, g.corner_l
    corner = _gauss(v, cl, 1.0)[:, None]
    # Both lips toward the corner, more the nearer it: the part of the
    # mouth a corner shape turns, without parting the lips.
    toward_corner = (g.lips * g.side_l * np.clip(g.radial[:, 0] / abs(cl[0]), 0, 1))[:, None]
    return {
        "mouthLeft": _gauss(v, g.mouth_centre, 1.8)[:, None] * np.array([0.6, 0, 0]),
        "mouthSmileLeft": (corner * np.array([0.5, 0.7, -0.25])
                           + _gauss(v, np.array([3.4, -1.8, 3.0]), 1.3)[:, None] * np.array([0.05, 0.3, 0.15])),
        # AU15: the depressor pulls the corner down and a little out; both lips
        # beside it follow, so the mouth turns down rather than kinks.
        "mouthFrownLeft": corner * np.array([0.08, -0.55, 0]) + toward_corner * np.array([0, -0.2, 0]),
        "mouthDimpleLeft": _gauss(v, cl, 0.8)[:, None] * np.array([0.3, 0.02, -0.35]),
        "mouthStretchLeft": corner * np.array([0.5, -0.25, -0.1]) + toward_corner * np.array([0, -0.12, 0]),
    }


def _lip_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """The lips pressed, rolled in, shrugged, lowered and raised, name -> (468, 3)."""
    v = g.v
    side = g.side_l[:, None]
    # Press and roll thin a lip rather than shift it: its edge at the lips'
    # meeting line stays, what lies 9 mm or more from it moves in full.
    lip_thick_u = np.clip((v[:, 1] - g.mid_y) / 0.9, 0, 1)
    lip_thick_l = np.clip((g.mid_y - v[:, 1]) / 0.9, 0, 1)
    press = np.zeros_like(v)
    press[:, 1] = (-0.22 * lip_thick_u * g.upper_lip + 0.18 * lip_thick_l * g.lower_lip)
    roll_l = np.zeros_like(v)
    roll_l[:, 1] = 0.35 * lip_thick_l * g.lower_lip
    roll_l[:, 2] = -0.35 * g.lower_lip
    roll_u = np.zeros_like(v)
    roll_u[:, 1] = -0.3 * lip_thick_u * g.upper_lip
    roll_u[:, 2] = -0.35 * g.upper_lip
    chin = _gauss(v, v[R.CHIN] + np.array([0, 2.0, 0]), 1.8)[:, None]
    return {
        "mouthPressLeft": press * side,
        "mouthRollLower": roll_l,
        "mouthRollUpper": roll_u,
        "mouthShrugLower": ((g.lower_lip[:, None] + chin * (v[:, 1:2] < g.mid_y[:, None]))
                            * np.array([0, 0.35, 0.15])),
        "mouthShrugUpper": g.upper_lip[:, None] * np.array([0, 0.25, 0.1]),
        "mouthLowerDownLeft": g.lower_lip[:, None] * side * np.array([0, -0.45, 0]),
        "mouthUpperUpLeft": g.upper_lip[:, None] * side * np.array([0, 0.4, 0.05]),
    }


def _cheek_nose_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """cheekPuff, cheekSquintLeft and noseSneerLeft, name -> (468, 3)."""
    v = g.v
    puff = np.zeros_like(v)
    for sx in (-1, 1):
        w = _gauss(v, np.array([3.9 * sx, -3.4, 2.4]), 1.5)
        puff += w[:, None] * np.array([0.6 * sx, 0, 0.45])
    return {
        "cheekPuff": puff,
        # AU6: the cheek rises and bunches the skin under the eye, pushing the
        # lower lid up (the Duchenne squint).
        "cheekSquintLeft": (_gauss(v, np.array([3.6, 0.6, 3.0]), 1.2)[:, None] * np.array([0, 0.4, 0.12])
                            + _lower_lid(g, R.LEFT_EYE_LOWER, 0.1)),
        "noseSneerLeft": (_gauss(v, np.array([1.2, 0.2, 5.0]), 0.8)[:, None] * np.array([0.05, 0.4, 0])
                          + _gauss(v, np.array([0.8, 2.3, 5.0]), 0.6)[:, None] * np.array([-0.05, -0.15, 0])),
    }


def _brow_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """browDownLeft, browInnerUp and browOuterUpLeft, name -> (468, 3)."""
    v = g.v
    brow_l = v[list(R.LEFT_BROW)]
    brow_w = _contour_weight(v, brow_l, 0.7) * (v[:, 1] > 2.8)
    inner_w = _gauss(v, np.array([1.3, 4.3, 4.6]), 1.0) * (v[:, 1] > 2.8)
    outer_w = _gauss(v, np.array([4.8, 4.0, 2.8]), 1.2) * (v[:, 1] > 2.6)
    # browInnerUp is one symmetric shape: both inner ends rise together.
    both_inner = inner_w + _gauss(v, np.array([-1.3, 4.3, 4.6]), 1.0) * (v[:, 1] > 2.8)
    return {
        # AU4: the brows come down *and together* (corrugator), most at the inner end.
        "browDownLeft": (brow_w[:, None] * np.array([-0.12, -0.4, 0])
                         + inner_w[:, None] * np.array([-0.3, -0.18, 0])),
        "browInnerUp": both_inner[:, None] * np.array([0, 0.55, 0]),
        "browOuterUpLeft": outer_w[:, None] * np.array([0, 0.7, 0]),
    }


def _eye_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """The left eye's blink, wide, squint and look shapes, name -> (468, 3)."""
    up, lo = R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER
    return {
        "eyeBlinkLeft": _eyelid(g, up, lo, 1.0, 0.12),
        "eyeWideLeft": _eyelid(g, up, lo, -1.0, 0.45),
        "eyeSquintLeft": _lower_lid(g, lo, 0.13) + _eyelid(g, up, lo, 0.15, 0.3),
        # Lids follow the gaze a little; the iris itself moves in the renderer.
        "eyeLookDownLeft": _eyelid(g, up, lo, 0.2, 0.35),
        "eyeLookUpLeft": _eyelid(g, up, lo, -0.5, 0.35),
        "eyeLookInLeft": np.zeros_like(g.v),
        "eyeLookOutLeft": np.zeros_like(g.v),
    }


def _left_shapes(g: _Geometry) -> dict[str, np.ndarray]:
    """Displacements of the symmetric and subject's-left shapes, name -> (468, 3)."""
    return {**_jaw_shapes(g), **_lip_rounding_shapes(g), **_mouth_corner_shapes(g), **_lip_shapes(g),
            **_cheek_nose_shapes(g), **_brow_shapes(g), **_eye_shapes(g),
            "tongueOut": np.zeros_like(g.v)}  # drawn by the mouth interior, not a surface change


def mirror_map(verts: np.ndarray) -> np.ndarray:
    """Index of each vertex's mirror image across x = 0, shape (N,)."""
    flipped = verts * np.array([-1, 1, 1])
    d = ((verts[:, None, :] - flipped[None, :, :]) ** 2).sum(-1)
    return d.argmin(axis=0)


def _mirror(field: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    return field[mirror] * np.array([-1, 1, 1])


def build_rig(verts: np.ndarray) -> np.ndarray:
    """All 52 displacement fields, shape (52, N, 3), ARKit order, cm per unit.

    Parameters
    ----------
    verts : ndarray (N, 3)
        Canonical mesh vertices (cm).
    """
    g = _Geometry(np.asarray(verts, np.float64))
    left = _left_shapes(g)
    mirror = mirror_map(g.v)
    pairs = {"jawLeft": "jawRight", "mouthLeft": "mouthRight"}
    rig = np.zeros((N_SHAPES, len(verts), 3))
    for i, name in enumerate(ARKIT_NAMES):
        if name in left:
            rig[i] = left[name]
        elif name.endswith("Right") and name[:-5] + "Left" in left:
            rig[i] = _mirror(left[name[:-5] + "Left"], mirror)
        elif name in pairs.values():
            src = next(k for k, val in pairs.items() if val == name)
            rig[i] = _mirror(left[src], mirror)
        else:  # pragma: no cover - every ARKit name is covered above
            raise KeyError(name)
    return rig.astype(np.float32)


DATA_FILE = Path(__file__).with_name("rig_data.npz")


@lru_cache(maxsize=1)
def default_rig() -> np.ndarray:
    """The rig, (52, 468, 3) cm: the calibrated fields of ``rig_data.npz``
    (written by scripts/build_rig.py), or, with a warning, the hand-made ones
    when that file is missing or holds other shapes."""
    if not DATA_FILE.is_file():
        why = "missing"
    else:
        with np.load(DATA_FILE) as data:
            if "rig" in data and "names" in data and tuple(data["names"]) == ARKIT_NAMES:
                return data["rig"].astype(np.float32)
        why = "holds other shapes than emoface's 52"
    # Said aloud: the hand-made fields read weaker on renders (docs/rig.md),
    # and nothing else would tell a packaging slip from a worse rig.
    warnings.warn(f"{DATA_FILE}: {why}; animating with the uncalibrated hand-made rig: "
                  "run `make rig` to rebuild it", stacklevel=2)
    from .mesh import canonical_mesh

    return build_rig(canonical_mesh().vertices)


def apply(rig: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Vertex displacement (N, 3) for coefficients (52,), with correctives.

    The one corrective a linear rig needs here: mouthClose is defined against
    an open jaw, so it can never pull the lips past each other; it is capped
    by jawOpen (lips sealed at jawOpen = mouthClose, as in ARKit).
    """
    c = np.asarray(coeffs, np.float32).copy()
    jo, mc = ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthClose")
    c[mc] = min(c[mc], max(c[jo], 0.0)) if c[mc] > 0 else c[mc]
    return np.tensordot(c, rig, axes=1)
