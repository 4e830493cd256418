"""Emotion from a label and an intensity: the expression layer.

Each row is a FACS-style recipe (Ekman's prototypes) written in ARKit
channels; intensity scales it, and it eases in so the face does not snap.
"""

from __future__ import annotations

import numpy as np

from ..easing import smoothstep
from ..motion import ARKIT_NAMES, coefficient_vector, layer_mask

# Full-intensity recipes, one row of FACS action units per emotion (Ekman
# and Friesen's prototypes and their EMFACS variants; MEAD's eight emotions),
# written in ARKit channels. A viewer, and a classifier, reads an emotion from
# a few AUs near full strength, not from many at half. The weights were set
# by benchmarks/tune_recipes.py against two expression classifiers on the
# "tune" portraits (benchmarks/portraits.py), within caps that keep the mouth
# speaking, then checked by eye. The jaw and lip openers part the lips only
# while speaking: motion.combine keeps every closure and pause sealed.
RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    # AU6 + AU12 + AU25: cheeks raise and push the lower lids up (the
    # Duchenne squint), lip corners pull up and back, the lips part.
    "happy": {"mouthSmile": 1.0, "cheekSquint": 0.5, "eyeSquint": 0.5, "mouthUpperUp": 0.5,
              "browDown": 0.05},
    # AU1 + AU4 + AU15 (+AU20): the oblique brow (inner ends raised and drawn
    # together), corners down, lips stretched, upper lids heavy.
    "sad": {"browInnerUp": 1.0, "browDown": 1.0, "mouthFrown": 1.0, "mouthStretch": 0.5,
            "eyeSquint": 0.25},
    # AU4 + AU5 + AU7 + AU9 + AU10 + AU15 + AU20 (+AU26): brows down and
    # together, a hard stare with tight lower lids, nostrils flared, lips
    # drawn taut and the upper lip raised off the teeth as the words come out.
    "angry": {"browDown": 1.0, "eyeSquint": 1.0, "eyeWide": 0.35, "noseSneer": 1.0, "mouthFrown": 1.0,
              "mouthUpperUp": 0.5, "mouthStretch": 0.5, "jawOpen": 0.25},
    # AU1 + AU2 + AU5 + AU26/27: brows raised, eyes wide, the jaw dropped
    # with relaxed lips rounding into an "O" (a wide flat opening reads as fear).
    "surprised": {"browInnerUp": 1.0, "browOuterUp": 0.5, "eyeWide": 0.75, "jawOpen": 0.5,
                  "mouthFunnel": 1.0, "mouthPucker": 1.0},
    # AU1 + AU2 + AU4 + AU5 + AU20 + AU26: raised brows drawn together, eyes
    # wide, lips stretched sideways, corners down.
    "fearful": {"browInnerUp": 1.0, "browOuterUp": 0.25, "browDown": 0.25, "eyeWide": 0.5,
                "mouthStretch": 0.9, "jawOpen": 0.25, "mouthFrown": 1.0, "mouthUpperUp": 0.25},
    # AU4 + AU6 + AU9 + AU10 + AU15 + AU24: nose wrinkled, upper lip raised,
    # brows lowered, cheeks up, corners down, lips pressed.
    "disgusted": {"noseSneer": 1.0, "mouthUpperUp": 0.25, "browDown": 1.0, "cheekSquint": 0.25,
                  "eyeSquint": 0.35, "mouthFrown": 1.0, "mouthPress": 1.0, "mouthStretch": 0.25,
                  "jawOpen": 0.25},
    # AU14 on one side (R14) with a trace of AU12: one lip corner tightened
    # and pulled in, the other still (neither classifier knows contempt, so
    # it is set by eye).
    "contempt": {"mouthDimpleRight": 0.6, "mouthSmileRight": 0.45, "mouthPressRight": 0.3,
                 "eyeSquint": 0.15, "browDown": 0.1, "cheekSquintRight": 0.2},
}


def recipe_vector(emotion: str) -> np.ndarray:
    """ARKit coefficients (52,) of ``emotion`` at full intensity."""
    out = coefficient_vector(RECIPES[emotion])
    stray = np.flatnonzero((out != 0) & ~layer_mask("expression"))
    if len(stray):
        raise ValueError(f"recipe {emotion!r}: {ARKIT_NAMES[stray[0]]} is not an expression channel")
    return out


def label_expression(emotion: str, intensity: float, frames: int, fps: float,
                     ease_seconds: float = 0.4) -> np.ndarray:
    """Expression layer (frames, 52): ``emotion`` at ``intensity``, eased in."""
    return eased_expression(recipe_vector(emotion), intensity, frames, fps, ease_seconds)


def eased_expression(coeffs: np.ndarray, intensity: float, frames: int, fps: float,
                     ease_seconds: float = 0.4) -> np.ndarray:
    """Expression layer (frames, 52): coefficients (52,) at ``intensity``,
    eased in over ``ease_seconds``, so the first frames do not pop."""
    t = np.arange(frames) / fps
    ramp = smoothstep(t, 0.0, ease_seconds) if ease_seconds > 0 else np.ones(frames)
    return (ramp[:, None] * np.asarray(coeffs)[None, :] * intensity).astype(np.float32)
