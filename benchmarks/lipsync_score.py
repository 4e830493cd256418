"""Score mouth curves against ground-truth phone timings.

Pure functions used by ``lipsync_eval.py`` and by the tests. The truth is a
list of viseme segments (``emoface.drivers.lipsync.phones``), made from the
ground-truth phones of a synthesiser or an aligner; the curves are a
MotionTrack's ARKit coefficients.

Definitions (each a number a viewer would notice):

- *lip aperture* of a frame: max(jawOpen - mouthClose, 0) + 0.3 mouthLowerDown
  + 0.2 mouthUpperUp (means of left and right); lips count as closed below
  ``CLOSED``. mouthClose is ARKit's "lips together against an open jaw".
- *bilabial closure accuracy*: share of p/b/m phones in which at least one
  frame has closed lips (the frames shown during the phone; the nearest frame
  to its centre when it is shorter than a frame).
- *open-vowel opening rate*: share of open vowels (father, cat, bought, the
  start of "eye" and "how") of 60 ms or more whose peak jawOpen reaches
  ``OPEN``.
- *silence-closed rate*: share of frames inside pauses (100 ms away from
  speech on both sides) with closed lips.
- *openness correlation*: Pearson r between jawOpen and a reference openness
  curve from the truth phones (phonetic vowel height, smoothed by 40 ms since
  a jaw cannot step).
- *timing offset*: the lag of the best cross-correlation of the two, ms;
  positive means the mouth moves late.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from emoface.drivers.features import frame_times
from emoface.drivers.lipsync.coarticulation import segment_frames
from emoface.drivers.lipsync.phones import Segment
from emoface.motion import Blendshape, lip_aperture

CLOSED = 0.1
OPEN = 0.2

# Phonetic openness of each viseme class (low vowels 1, high vowels low,
# consonants by their jaw position, closures and pauses 0). Independent of
# the driver's own targets.
REFERENCE_OPENNESS = {
    "aa": 1.0, "O": 0.8, "E": 0.6, "ah": 0.5, "ER": 0.4, "I": 0.25, "U": 0.2,
    "HH": 0.4, "kk": 0.25, "DD": 0.2, "TH": 0.2, "RR": 0.2, "CH": 0.15, "SS": 0.1,
    "WW": 0.1, "FF": 0.05, "PP": 0.0, "sil": 0.0,
}


def _frames_of(seg: Segment, fps: float, n: int) -> np.ndarray:
    return segment_frames(seg.start, seg.end, fps, n)


def reference_openness(truth: list[Segment], fps: float, n: int) -> np.ndarray:
    t = frame_times(n, fps)
    ref = np.zeros(n)
    for seg in truth:
        ref[(t >= seg.start) & (t < seg.end)] = REFERENCE_OPENNESS[seg.viseme]
    return gaussian_filter1d(ref, 0.04 * fps)


def timing_offset_ms(curve: np.ndarray, ref: np.ndarray, fps: float, max_ms: float = 200) -> float:
    """Lag (ms) of ``curve`` behind ``ref`` at their best cross-correlation."""
    step = 0.005
    t = np.arange(len(ref)) / fps
    fine_t = np.arange(0, t[-1], step)
    a = np.interp(fine_t, t, curve) - curve.mean()
    b = np.interp(fine_t, t, ref) - ref.mean()
    lags = np.arange(-int(max_ms / 5), int(max_ms / 5) + 1)
    best = max(lags, key=lambda k: float(np.dot(a[max(k, 0):len(a) + min(k, 0)],
                                                b[max(-k, 0):len(b) - max(k, 0)])))
    return float(best * step * 1000)


def score(coeffs: np.ndarray, fps: float, truth: list[Segment]) -> dict[str, float]:
    """All metrics for one clip; counts are returned too, for pooling."""
    n = len(coeffs)
    ap = lip_aperture(coeffs)
    jaw = coeffs[:, Blendshape.JAW_OPEN]
    bil = [s for s in truth if s.viseme == "PP"]
    closed = [bool((ap[f] < CLOSED).any()) for s in bil if len(f := _frames_of(s, fps, n))]
    vowels = [s for s in truth if s.viseme in ("aa", "O") and s.end - s.start >= 0.06]
    opened = [bool((jaw[f] >= OPEN).any()) for s in vowels if len(f := _frames_of(s, fps, n))]
    t = frame_times(n, fps)
    pause = np.zeros(n, bool)
    for s in truth:
        if s.viseme == "sil":
            pause |= (t >= s.start + 0.1) & (t < s.end - 0.1)
    ref = reference_openness(truth, fps, n)
    r = float(np.corrcoef(jaw, ref)[0, 1]) if jaw.std() > 0 and ref.std() > 0 else 0.0
    return {
        "bilabials": len(closed), "bilabial_closed": float(np.mean(closed)) if closed else np.nan,
        "open_vowels": len(opened), "open_vowel_opened": float(np.mean(opened)) if opened else np.nan,
        "pause_frames": int(pause.sum()),
        "silence_closed": float((ap[pause] < CLOSED).mean()) if pause.any() else np.nan,
        "openness_r": r, "offset_ms": timing_offset_ms(jaw, ref, fps),
    }


def pool(rows: list[dict[str, float]]) -> dict[str, float]:
    """Pool per-clip scores: rates weighted by their counts, r and offset averaged."""
    def weighted(key: str, count: str) -> float:
        w = np.array([r[count] for r in rows], float)
        v = np.array([r[key] for r in rows], float)
        ok = w > 0
        return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else np.nan

    return {
        "bilabial_closed": weighted("bilabial_closed", "bilabials"),
        "open_vowel_opened": weighted("open_vowel_opened", "open_vowels"),
        "silence_closed": weighted("silence_closed", "pause_frames"),
        "openness_r": float(np.mean([r["openness_r"] for r in rows])),
        "offset_ms": float(np.mean([r["offset_ms"] for r in rows])),
        "bilabials": int(sum(r["bilabials"] for r in rows)),
    }
