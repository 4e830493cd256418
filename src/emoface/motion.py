"""The MotionTrack: per-frame ARKit-52 coefficients and head pose.

Everything in emoface meets here. Drivers fill one *layer* each (mouth, eyes,
expression, pose); :func:`combine` merges the three coefficient layers with a
few explicit rules; sinks (renderer, exporters) read the merged coefficients.
The track is plain numpy and knows nothing of how it was made.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from .easing import smoothstep
from .errors import InputError, OptionError

SCHEMA_VERSION = 1

#: The 52 ARKit blendshape names in ARKit (and Live Link Face) order.
ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft",
    "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight",
    "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthRight", "mouthLeft",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
)
N_SHAPES = len(ARKIT_NAMES)

Blendshape = enum.IntEnum(  # type: ignore[misc]
    "Blendshape",
    {"".join("_" + c if c.isupper() else c.upper() for c in n).lstrip("_"): i
     for i, n in enumerate(ARKIT_NAMES)},
)
Blendshape.__doc__ = "ARKit blendshape index by name, e.g. ``Blendshape.JAW_OPEN``."

#: Head pose channels: rotation in degrees, translation in centimetres of the
#: canonical face (x right, y up, z toward the viewer; emoface.pose). A
#: track's pose is a *delta* from the portrait's own pose: for a track
#: captured from video, the head's change from the video's reference frame.
POSE_NAMES: tuple[str, ...] = ("yaw", "pitch", "roll", "x", "y", "z")

LAYERS: tuple[str, ...] = ("mouth", "eyes", "expression")

#: Channels the expression layer shares with the mouth layer (the emotional
#: share of the lower face).
SHARED_MOUTH = ("mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
                "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
                "mouthStretchRight", "mouthPressLeft", "mouthPressRight")

#: Further channels an emotion may move: eye aperture, a dropped jaw and the
#: rounded "O" of surprise, a raised upper lip (disgust), a pushed-up chin
#: (sadness, doubt).
EXPRESSIVE_EXTRA = frozenset({"eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
                              "jawOpen", "mouthFunnel", "mouthPucker", "mouthUpperUpLeft",
                              "mouthUpperUpRight", "mouthShrugLower", "mouthShrugUpper"})


def _owner(name: str) -> str:
    if name.startswith(("jaw", "mouth")) or name in ("cheekPuff", "tongueOut"):
        return "mouth"
    if name.startswith("eye"):
        return "eyes"
    return "expression"


#: Which layer owns each channel; the expression layer may also write SHARED_MOUTH.
LAYER_OF: dict[str, str] = {n: _owner(n) for n in ARKIT_NAMES}


def layer_mask(layer: str) -> np.ndarray:
    """Boolean mask (52,) of the channels ``layer`` may write."""
    if layer not in LAYERS:
        raise OptionError(f"unknown layer {layer!r}; use one of {', '.join(LAYERS)}")
    names = {n for n, owner in LAYER_OF.items() if owner == layer}
    if layer == "expression":
        names |= set(SHARED_MOUTH) | EXPRESSIVE_EXTRA
    return np.array([n in names for n in ARKIT_NAMES])


def channels(*names: str) -> list[int]:
    """Indices of ARKit channels; a left/right stem ("mouthSmile") gives both sides."""
    out = []
    for name in names:
        pair = [name + side for side in ("Left", "Right") if name + side in ARKIT_NAMES]
        out += [ARKIT_NAMES.index(n) for n in pair or [name]]
    return out


def coefficient_vector(weights: dict[str, float]) -> np.ndarray:
    """ARKit coefficients (52,) float32 from ``{name: weight}``; a left/right
    stem ("mouthSmile") sets both sides (:func:`channels`), later keys win."""
    out = np.zeros(N_SHAPES, np.float32)
    for name, weight in weights.items():
        out[channels(name)] = weight
    return out


def _idx(*names: str) -> np.ndarray:
    return np.array(channels(*names))


# Channels by which an expression parts the lips (surprise drops the jaw,
# disgust raises the upper lip): they part the lips only while the mouth
# layer speaks an open sound; in p/b/m closures and in pauses they yield.
# (Holding a dropped jaw behind closed lips with mouthClose was tried: past
# a jawOpen of ~0.3 the rig's lips no longer meet, and p, b, m stayed open.)
# The rounding of an open mouth (surprise's "O") goes with them: the lips
# rest and close in their own shape.
_PARTING = _idx("jawOpen", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft",
                "mouthLowerDownRight", "mouthFunnel", "mouthPucker")
# Shapes that pull on the lips without parting them: they hold through
# pauses but still yield to a closure, where they would break the seal.
_LIP_PULL = _idx("mouthStretchLeft", "mouthStretchRight")
_BLINK = _idx("eyeBlinkLeft", "eyeBlinkRight")
_WIDE = _idx("eyeWideLeft", "eyeWideRight")
# Lip-sync drivers seal a p/b/m with mouthPress 0.3 (see visemes.py); from
# there on a closure counts as complete.
_FULL_CLOSURE = 0.3
# The mouth layer counts as speaking within this long of an open frame: a
# stop consonant is a short dip, a pause (longer) rests. Lip-sync scores
# count pause frames from 100 ms into a pause, so the gate is shut by then.
_SPEAKING_HOLD_S = 0.06
_SPEAKING_RAMP_S = 0.04


def lip_closure(mouth: np.ndarray) -> np.ndarray:
    """How firmly the mouth layer seals the lips, per frame, in [0, 1].

    A bilabial (p/b/m) is written by lip-sync drivers as mouthClose and/or
    mouthPress with a nearly shut jaw.
    """
    m = np.asarray(mouth, dtype=np.float32)
    press = m[:, _idx("mouthPressLeft", "mouthPressRight")].mean(axis=1)
    close = m[:, Blendshape.MOUTH_CLOSE]
    jaw = m[:, Blendshape.JAW_OPEN]
    return np.clip(np.maximum(press, close) * (1.0 - np.clip(jaw - close, 0, 1) * 2.0), 0, 1)


def speaking(mouth: np.ndarray, fps: float) -> np.ndarray:
    """Where the mouth layer is talking, per frame, in [0, 1]: 1 within
    ~60 ms of an open frame, easing to 0 over ~40 ms into a pause."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    open_ = (lip_aperture(np.asarray(mouth, np.float32)) > 0.05).astype(np.float32)
    if not len(open_):
        return open_
    held = maximum_filter1d(open_, 1 + 2 * int(round(_SPEAKING_HOLD_S * fps)))
    return uniform_filter1d(held, max(1, int(round(_SPEAKING_RAMP_S * fps)))).astype(np.float32)


def combine(mouth: np.ndarray, eyes: np.ndarray, expression: np.ndarray,
            fps: float = 25.0) -> np.ndarray:
    """Merge the three coefficient layers into final ARKit coefficients.

    Parameters
    ----------
    mouth, eyes, expression : ndarray, shape (T, 52)
        Layer coefficients in [0, 1]; channels outside a layer's mask are ignored.
    fps : float
        Frame rate, for the time constants of the speaking gate.

    Returns
    -------
    ndarray, shape (T, 52), float32, in [0, 1]

    Rules, in order:

    1. Each layer contributes only the channels it may write (:func:`layer_mask`);
       contributions add.
    2. An expression's jaw drop is a resting pose, not speech: it and the
       expression's other lip-parting channels apply only while the mouth
       layer speaks (:func:`speaking`) and not during a closure
       (:func:`lip_closure`); lip pulls (stretch) yield to closures. So
       every p, b and m still seals and pauses rest closed under any
       emotion, and open vowels open further.
    3. A blink wins over eyeWide: eyeWide is scaled by (1 - eyeBlink).
    4. Everything is clipped to [0, 1].
    """
    layers = [np.asarray(a, dtype=np.float32) for a in (mouth, eyes, expression)]
    shapes = {a.shape for a in layers}
    if len(shapes) != 1 or layers[0].ndim != 2 or layers[0].shape[1] != N_SHAPES:
        raise InputError(f"layers must share shape (T, {N_SHAPES}); got {sorted(shapes)}")
    m, e, x = (np.where(layer_mask(name), a, 0.0)
               for name, a in zip(LAYERS, layers))
    x = x.copy()
    free = 1.0 - smoothstep(lip_closure(m), 0.0, _FULL_CLOSURE)
    gate = speaking(m, fps) * free
    x[:, _PARTING] *= gate[:, None]
    x[:, _LIP_PULL] *= free[:, None]
    out = m + e + x
    out[:, _WIDE] *= 1.0 - np.clip(out[:, _BLINK], 0, 1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def lip_aperture(coeffs: np.ndarray) -> np.ndarray:
    """How far the lips part, from coefficients (..., 52); 0 = lips together.

    max(jawOpen - mouthClose, 0) + 0.3 mouthLowerDown + 0.2 mouthUpperUp
    (left/right means). Below about 0.1 the lips touch. One definition for the
    renderer's lip seal and the lip-sync evaluation.
    """
    c = np.asarray(coeffs, dtype=np.float32)
    gap = np.maximum(c[..., Blendshape.JAW_OPEN] - c[..., Blendshape.MOUTH_CLOSE], 0)
    lower = c[..., _idx("mouthLowerDown")].mean(axis=-1)
    upper = c[..., _idx("mouthUpperUp")].mean(axis=-1)
    return gap + 0.3 * lower + 0.2 * upper


@dataclass(frozen=True, eq=False)
class MotionTrack:
    """Per-frame facial motion at a fixed frame rate.

    Attributes
    ----------
    fps : float
        Frames per second.
    coefficients : ndarray, shape (T, 52), float32
        Final ARKit coefficients in [0, 1], ARKit order (:data:`ARKIT_NAMES`).
    pose : ndarray, shape (T, 6), float32
        yaw, pitch, roll (degrees) and x, y, z (cm), as a delta from the
        portrait's own head pose.
    layers : dict of str to ndarray (T, 52)
        The per-layer coefficients the track was combined from, when known.
    start : int
        The index of the first frame in a longer motion: a live stream
        gives its frames a few at a time (0 for a whole track).
    """

    fps: float
    coefficients: np.ndarray
    pose: np.ndarray
    layers: dict[str, np.ndarray] = field(default_factory=dict)
    start: int = 0

    def __post_init__(self) -> None:
        c = np.ascontiguousarray(self.coefficients, dtype=np.float32)
        p = np.ascontiguousarray(self.pose, dtype=np.float32)
        if c.ndim != 2 or c.shape[1] != N_SHAPES:
            raise InputError(f"motion track: coefficients must be (frames, 52), got {c.shape}")
        if p.shape != (c.shape[0], len(POSE_NAMES)):
            raise InputError(f"motion track: pose must be ({c.shape[0]}, 6), got {p.shape}")
        if not (np.isfinite(c).all() and np.isfinite(p).all()):
            raise InputError("motion track: coefficients or pose contain NaN/inf; "
                             "check the file that produced it")
        if not (1.0 <= float(self.fps) <= 240.0):
            raise InputError(f"motion track: fps {self.fps} is outside 1-240")
        object.__setattr__(self, "coefficients", c)
        object.__setattr__(self, "pose", p)
        object.__setattr__(self, "fps", float(self.fps))
        layers = {k: np.asarray(v, dtype=np.float32) for k, v in self.layers.items()}
        for k, v in layers.items():
            if k not in LAYERS or v.shape != c.shape:
                raise InputError(f"motion track: bad layer {k!r} with shape {v.shape}")
        object.__setattr__(self, "layers", layers)

    @classmethod
    def from_layers(cls, fps: float, mouth: np.ndarray, eyes: np.ndarray,
                    expression: np.ndarray, pose: np.ndarray) -> "MotionTrack":
        """Build a track from its layers, merging them with :func:`combine`."""
        return cls(fps, combine(mouth, eyes, expression, fps), pose,
                   {"mouth": mouth, "eyes": eyes, "expression": expression})

    @classmethod
    def still(cls, fps: float, n_frames: int) -> "MotionTrack":
        """A neutral, motionless track of ``n_frames`` frames."""
        z = np.zeros((n_frames, N_SHAPES), np.float32)
        return cls.from_layers(fps, z, z, z, np.zeros((n_frames, 6), np.float32))

    def __len__(self) -> int:
        return int(self.coefficients.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self) / self.fps

    @property
    def times(self) -> np.ndarray:
        """When each frame shows, in seconds from the motion's start."""
        return (self.start + np.arange(len(self))) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """One coefficient curve, shape (T,), by ARKit name."""
        return self.coefficients[:, ARKIT_NAMES.index(name)]

    def equals(self, other: "MotionTrack") -> bool:
        """Exact equality of rate, coefficients and pose."""
        return (self.fps == other.fps
                and np.array_equal(self.coefficients, other.coefficients)
                and np.array_equal(self.pose, other.pose))
