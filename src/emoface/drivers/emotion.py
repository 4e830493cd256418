"""Emotion from a label and an intensity: the expression layer.

Each row is a FACS-style recipe (Ekman's prototypes) written in ARKit
channels; intensity scales it, and it eases in so the face does not snap.
"""

from __future__ import annotations

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES

_PAIRS = ("mouthSmile", "mouthFrown", "mouthStretch", "mouthPress", "mouthDimple",
          "cheekSquint", "eyeSquint", "eyeWide", "browDown", "browOuterUp", "noseSneer",
          "mouthUpperUp")

RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    # AU6 + AU12: cheeks raise and the lip corners pull up; Duchenne squint.
    "happy": {"mouthSmile": 0.75, "cheekSquint": 0.5, "eyeSquint": 0.3, "mouthDimple": 0.2},
    # AU1 + AU4 + AU15 (+AU17): inner brows up, corners down, chin pushed up.
    "sad": {"browInnerUp": 0.75, "browDown": 0.15, "mouthFrown": 0.7,
            "mouthShrugLower": 0.35, "mouthPress": 0.2},
    # AU4 + AU5 + AU7 + AU23/24: brows down and together, lids tense, lips pressed.
    "angry": {"browDown": 0.85, "eyeSquint": 0.35, "eyeWide": 0.15, "noseSneer": 0.35,
              "mouthPress": 0.5, "mouthFrown": 0.25},
    # AU1 + AU2 + AU5 + AU26: brows up, eyes wide, jaw drops.
    "surprised": {"browInnerUp": 0.85, "browOuterUp": 0.8, "eyeWide": 0.7, "jawOpen": 0.18},
    # AU1 + AU2 + AU4 + AU5 + AU20: raised, drawn-together brows, wide eyes, stretched lips.
    "fearful": {"browInnerUp": 0.85, "browOuterUp": 0.3, "browDown": 0.2, "eyeWide": 0.65,
                "mouthStretch": 0.55, "jawOpen": 0.08},
    # AU9 + AU10 (+AU4): nose wrinkles, upper lip rises.
    "disgusted": {"noseSneer": 0.75, "mouthUpperUp": 0.45, "browDown": 0.4,
                  "cheekSquint": 0.35, "mouthFrown": 0.3, "mouthShrugLower": 0.2},
}


def recipe_vector(emotion: str) -> np.ndarray:
    """ARKit coefficients (52,) of ``emotion`` at full intensity."""
    out = np.zeros(N_SHAPES, np.float32)
    for key, val in RECIPES[emotion].items():
        names = [key + "Left", key + "Right"] if key in _PAIRS else [key]
        for n in names:
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
