"""Relative motion: what a driver (a video, a saved track) does, as changes
from its own reference frame, applied onto the portrait's own expression and
pose (the relative mode of reenactment, as in LivePortrait).

A portrait driven by its own video comes back as its first frame: the
driver's first frame is the reference, the changes from it are zero there,
and zero change draws the photo as it is. In absolute mode the driver's
coefficients are the face to show (the portrait's own expression is
replaced), as a 3D rig would take them. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from .errors import Field, OptionError
from .motion import ARKIT_NAMES, LAYER_OF, layer_mask

MOTION_MODES = ("relative", "absolute")

#: How much further the rig raises an upper lid at eyeWide = 1, as a share of
#: the eye's opening: about half again. Lid travel is one scale: a blink of
#: 0.5 lowers the lid as far as an eyeWide of 1 raises it.
WIDE_OPENING = 0.5
_BLINK, _WIDE = [ARKIT_NAMES.index(f"eyeBlink{s}") for s in ("Left", "Right")], \
    [ARKIT_NAMES.index(f"eyeWide{s}") for s in ("Left", "Right")]

# Gaze is where the eyes point, not an expression: a driver looking aside in
# its most neutral frame is still neutral.
_ACTIVE = np.array([not n.startswith("eyeLook") for n in ARKIT_NAMES])


def parse_reference(value: str | int) -> int | str:
    """A ``--driver-reference`` value: a frame index (0 = the first frame),
    ``first`` or ``neutral``."""
    text = str(value).strip().lower()
    if text == "first":
        return 0
    if text == "neutral":
        return "neutral"
    try:
        index = int(text)
    except ValueError:
        index = -1
    if index < 0:
        raise OptionError(Field("driver_reference"), f" {value!r} is not a frame; give a frame number "
                          "(0 is the first), first or neutral")
    return index


def reference_index(coefficients: np.ndarray, reference: int | str, name: str = "the driver") -> int:
    """The frame of ``coefficients`` (T, 52) a driver's changes are measured
    from: ``reference`` itself, or for ``neutral`` the frame whose face is
    nearest rest (least expression, mouth and blink)."""
    n = len(coefficients)
    if reference == "neutral":
        if n == 0:
            return 0
        return int(np.argmin(np.abs(np.asarray(coefficients)[:, _ACTIVE]).sum(axis=1)))
    index = int(reference)
    if n and index >= n:
        raise OptionError(Field("driver_reference"), f" {index}: {name} has only {n} frames; give a "
                          f"frame from 0 to {n - 1}, first or neutral")
    return index


def changes(curves: np.ndarray, index: int) -> np.ndarray:
    """Coefficient curves (T, 52) as changes from frame ``index`` (signed)."""
    curves = np.asarray(curves, np.float32)
    return curves - curves[index] if len(curves) else curves


def onto_portrait(layers: dict[str, np.ndarray], relative: set[str],
                  baseline: np.ndarray | None) -> dict[str, np.ndarray]:
    """Layers ready to combine: the ``relative`` ones (signed changes) are
    carried on the portrait's own coefficients ``baseline`` (52,; or
    (frames, 52), a share of them per frame, as a stream eases the photo's
    expression away under an emotion).

    Each channel of the baseline is added once: to the layer that owns it
    if that layer is relative, else to the expression layer where it may
    write it (a smile the photo holds stays while a video drives the
    expression and speech drives the mouth). Channels of absolute layers
    are not carried: they are the face to show, as an emotion label's are.
    """
    if baseline is None or not relative:
        return dict(layers)
    base = np.asarray(baseline, np.float32)
    out = dict(layers)
    owner = np.array([LAYER_OF[n] for n in ARKIT_NAMES])
    taken = np.zeros(len(ARKIT_NAMES), bool)
    for layer in sorted(relative, key=lambda k: k != "expression"):
        mine = (owner == layer) & ~taken
        taken |= mine
        out[layer] = out[layer] + np.where(mine, base, 0.0).astype(np.float32)
    if "expression" in relative:
        extra = layer_mask("expression") & ~taken & ~np.isin(owner, sorted(relative))
        out["expression"] = out["expression"] + np.where(extra, base, 0.0).astype(np.float32)
    if "eyes" in relative:
        out["eyes"] = _lids_past_the_photo(out["eyes"])
    return out


def _lids_past_the_photo(eyes: np.ndarray) -> np.ndarray:
    """A driver's eye that opens further than from its reference frame, on a
    photo whose eyes are already open (blink 0), opens wide; one that closes
    past a widened photo's opening blinks. Blink and eyeWide are one lid
    travel, not two channels that stop at zero."""
    eyes = np.array(eyes, np.float32, copy=True)
    travel = eyes[:, _WIDE] * WIDE_OPENING - eyes[:, _BLINK]
    eyes[:, _WIDE] = np.maximum(travel, 0) / WIDE_OPENING
    eyes[:, _BLINK] = np.maximum(-travel, 0)
    return eyes


__all__ = ["MOTION_MODES", "changes", "onto_portrait", "parse_reference",
           "reference_index"]
