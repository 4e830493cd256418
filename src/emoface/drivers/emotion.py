"""Emotion from a label and an intensity: the expression layer.

Each row is a FACS-style recipe (Ekman's prototypes) written in ARKit
channels; intensity scales it, and it eases in so the face does not snap.
"""

from __future__ import annotations

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES, layer_mask

_PAIRS = ("mouthSmile", "mouthFrown", "mouthStretch", "mouthPress", "mouthDimple",
          "cheekSquint", "eyeSquint", "eyeWide", "browDown", "browOuterUp", "noseSneer",
          "mouthUpperUp")

# Full-intensity recipes, one row of FACS action units per emotion (Ekman
# and Friesen's prototypes; MEAD's eight emotions), written in ARKit channels.
# A classifier (and a viewer) reads an emotion from a few AUs at full
# strength, not from many at half: each row pushes its defining AUs near 1.
# The jaw and upper-lip openers part the lips only while speaking; the
# combine rules keep every closure and pause sealed (motion.combine).
RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    # AU6 + AU12 (+AU25): cheeks raise and push the lower lids up (the
    # Duchenne squint), lip corners pull up and back, lips part a little.
    "happy": {"mouthSmile": 1.0, "cheekSquint": 0.9, "eyeSquint": 0.45, "mouthDimple": 0.25,
              "mouthUpperUp": 0.2, "browDown": 0.05},
    # AU1 + AU4 + AU15 + AU17: the oblique brow (inner ends up and drawn
    # together), corners down, chin pushed up, upper lids drooping.
    "sad": {"browInnerUp": 1.0, "browDown": 0.3, "mouthFrown": 1.0, "mouthShrugLower": 0.6,
            "mouthPress": 0.2, "eyeSquint": 0.2},
    # AU4 + AU5 + AU7 + AU23/24: brows down and together, a hard stare
    # (upper lid up, lower lid tight), lips pressed thin, nostrils flared.
    "angry": {"browDown": 1.0, "eyeSquint": 0.55, "eyeWide": 0.35, "noseSneer": 0.4,
              "mouthPress": 0.8, "mouthFrown": 0.35, "mouthShrugLower": 0.3},
    # AU1 + AU2 + AU5 + AU26: brows high and arched, eyes wide, jaw dropped.
    "surprised": {"browInnerUp": 1.0, "browOuterUp": 1.0, "eyeWide": 1.0, "jawOpen": 0.3},
    # AU1 + AU2 + AU4 + AU5 + AU20 (+AU26): raised brows drawn together,
    # eyes wide, lips stretched sideways.
    "fearful": {"browInnerUp": 1.0, "browOuterUp": 0.45, "browDown": 0.4, "eyeWide": 1.0,
                "mouthStretch": 0.9, "jawOpen": 0.15, "mouthFrown": 0.2},
    # AU9 + AU10 (+AU4, AU17): nose wrinkled, upper lip raised, brows
    # lowered, cheeks up, chin raised.
    "disgusted": {"noseSneer": 1.0, "mouthUpperUp": 0.6, "browDown": 0.55, "cheekSquint": 0.6,
                  "eyeSquint": 0.35, "mouthFrown": 0.35, "mouthShrugLower": 0.45},
    # AU14 on one side (R14) with a trace of AU12: one lip corner tightened
    # and pulled in, the other still.
    "contempt": {"mouthDimpleRight": 1.0, "mouthSmileRight": 0.35, "mouthPressRight": 0.4,
                 "eyeSquint": 0.15, "browDown": 0.1, "cheekSquintRight": 0.2},
}


def recipe_vector(emotion: str) -> np.ndarray:
    """ARKit coefficients (52,) of ``emotion`` at full intensity."""
    out = np.zeros(N_SHAPES, np.float32)
    allowed = layer_mask("expression")
    for key, val in RECIPES[emotion].items():
        names = [key + "Left", key + "Right"] if key in _PAIRS else [key]
        for n in names:
            if not allowed[ARKIT_NAMES.index(n)]:
                raise ValueError(f"recipe {emotion!r}: {n} is not an expression channel")
            out[ARKIT_NAMES.index(n)] = val
    return out


def label_expression(emotion: str, intensity: float, frames: int, fps: float,
                     ease_seconds: float = 0.4) -> np.ndarray:
    """Expression layer (frames, 52): ``emotion`` at ``intensity``, eased in."""
    t = np.arange(frames) / fps
    ramp = np.clip(t / ease_seconds, 0, 1) if ease_seconds > 0 else np.ones(frames)
    ramp = ramp * ramp * (3 - 2 * ramp)
    # A still photo should start as itself only if it matches; a gentle ease
    # keeps the first frames from popping.
    return (ramp[:, None] * recipe_vector(emotion)[None, :] * intensity).astype(np.float32)
