"""Viseme segments -> smooth mouth curves (Cohen-Massaro dominance model).

Every segment pulls the mouth toward its viseme's target with a dominance
that is flat over the segment's core and decays outside it, faster after the
segment (carry-over) than before it (anticipation: lips round for "oo"
before the vowel sounds). The mouth at time t is the dominance-weighted mean
of all targets. Then three rules a viewer checks:

- every p/b/m closes the lips on at least one frame, however short it is;
- loudness scales the opening (a shout opens wider than a murmur);
- where the audio is silent the mouth relaxes to the closed rest.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ...motion import Blendshape, channels
from .phones import Segment
from .visemes import CLOSURE, DOMINANCE, OPENING, TARGETS, VISEME_NAMES

ANTICIPATION_S = 0.05  # dominance decay constant before a segment's core
CARRY_OVER_S = 0.035  # ... and after it (shorter: lips anticipate more than they linger)
CORE = 0.5  # share of a segment over which its dominance is flat
NEIGHBOURS = 5  # segments either side that may influence a frame
SHARPNESS = 1.6  # exponent of the dominance decay (Cohen-Massaro's c)
# Lip rounding spreads much further ahead than jaw opening: in "coo" the lips
# round during the k and even the consonants before it (Benguerel & Cowan 1974).
ROUNDING = ("mouthPucker", "mouthFunnel")
ROUNDING_ANTICIPATION_S = 0.12
ROUNDING_CARRY_OVER_S = 0.06

_OPENING = channels(*OPENING)
_ROUNDING = channels(*ROUNDING)
_CLOSE_RELAX = channels("mouthFunnel", "mouthPucker", "mouthStretch", "mouthLowerDown",
                        "mouthUpperUp", "tongueOut")


def segment_frames(start: float, end: float, fps: float, frames: int) -> np.ndarray:
    """Frames shown during [start, end) seconds; the frame nearest its middle
    when the interval falls between two frames (a 30 ms /b/ at 25 fps)."""
    first = int(np.ceil(start * fps - 0.5))
    last = int(np.floor(end * fps - 0.5))
    if last < first:
        first = last = int(np.floor((start + end) / 2 * fps))
    return np.arange(max(first, 0), min(last + 1, frames))


def blend(segments: list[Segment], times: np.ndarray) -> np.ndarray:
    """Dominance-weighted mouth coefficients at ``times``: jaw and spread with
    the general time constants, rounding with its longer ones.

    Parameters
    ----------
    segments : list of Segment, sorted, non-overlapping
    times : ndarray (T,) seconds

    Returns
    -------
    ndarray (T, 52) float32; rest (zeros) where there are no segments.
    """
    out = _blend(segments, times, ANTICIPATION_S, CARRY_OVER_S)
    if len(segments) and len(times):
        wide = _blend(segments, times, ROUNDING_ANTICIPATION_S, ROUNDING_CARRY_OVER_S)
        out[:, _ROUNDING] = wide[:, _ROUNDING]
    return out


def _blend(segments: list[Segment], times: np.ndarray, anticipation: float,
           carry_over: float) -> np.ndarray:
    out = np.zeros((len(times), TARGETS.shape[1]), np.float32)
    if not segments or len(times) == 0:
        return out
    index = {n: i for i, n in enumerate(VISEME_NAMES)}
    vis = np.array([index[s.viseme] for s in segments])
    start = np.array([s.start for s in segments])
    end = np.array([s.end for s in segments])
    centre, half = (start + end) / 2, (end - start) / 2
    here = np.clip(np.searchsorted(start, times, side="right") - 1, 0, len(segments) - 1)
    near = np.clip(here[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS + 1), 0, len(segments) - 1)
    dt = times[:, None] - centre[near]  # > 0: the segment lies in the past (carry-over)
    outside = np.maximum(np.abs(dt) - CORE * half[near], 0.0)
    tau = np.where(dt > 0, carry_over, anticipation)
    dom = DOMINANCE[vis[near]] * np.exp(-((outside / tau) ** SHARPNESS))
    # Clipped indices repeat the end segments; count each segment once.
    dup = np.zeros_like(near, bool)
    dup[:, 1:] = near[:, 1:] == near[:, :-1]
    dom[dup] = 0.0
    weights = dom / np.maximum(dom.sum(axis=1, keepdims=True), 1e-12)
    return np.einsum("tk,tkc->tc", weights, TARGETS[vis[near]]).astype(np.float32)


def enforce_closures(layer: np.ndarray, segments: list[Segment], fps: float) -> np.ndarray:
    """Seal the lips on every frame inside a p/b/m, or the nearest frame when
    the phone falls between two frames. Returns a new layer."""
    out = layer.copy()
    frames = len(out)
    index = {n: i for i, n in enumerate(VISEME_NAMES)}
    jaw, close = Blendshape.JAW_OPEN, Blendshape.MOUTH_CLOSE
    press = channels("mouthPress")
    for seg in segments:
        if not CLOSURE[index[seg.viseme]]:
            continue
        shown = segment_frames(seg.start, seg.end, fps, frames)
        if not len(shown):
            continue
        sl = slice(shown[0], shown[-1] + 1)
        out[sl, jaw] = np.minimum(out[sl, jaw], 0.06)
        out[sl, close] = out[sl, jaw]
        out[sl, _CLOSE_RELAX] *= 0.15
        out[sl, press] = np.maximum(out[sl, press], 0.3)
    return out


def scale_opening(layer: np.ndarray, level: np.ndarray, fps: float,
                  articulation: float = 1.0) -> np.ndarray:
    """Scale the lip-opening channels by loudness and by ``articulation``.

    ``level`` is per-frame loudness in [0, 1] (0 = pause). A moderate
    syllable keeps the table's opening; a loud one opens up to 30 % wider.
    Where the audio is silent for more than ~120 ms the mouth rests.
    """
    out = layer.copy()
    level = np.asarray(level, np.float32)
    # Activity: speech within ~120 ms (stops and quiet consonants are brief dips).
    width = max(1, int(round(0.24 * fps)))
    active = uniform_filter1d(maximum_filter1d((level > 0).astype(np.float32), width), 3)
    gain = (0.7 + 0.6 * uniform_filter1d(level, 3)) * active * articulation
    out[:, _OPENING] *= gain[:, None]
    others = [i for i in range(out.shape[1]) if i not in _OPENING]
    out[:, others] *= np.clip(active * articulation, 0, 1.5)[:, None]
    return np.clip(out, 0.0, 1.0)
