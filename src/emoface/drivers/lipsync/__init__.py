"""Lip sync: speech (and text) to the mouth layer.

Stages, top to bottom::

    phones  (synthesiser timings | forced alignment | phone recognition)
      -> viseme segments (phones.py)
      -> dominance blend (coarticulation.py) -> closures -> loudness
    or, when phones are unsuitable, spectrum -> mouth (acoustic.py)

``mode`` chooses: ``phonetic``, ``acoustic``, or ``auto`` (phonetic unless
recognition looks unreliable: see :func:`phones_look_reliable`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ...errors import OptionError
from ...progress import Progress, quiet
from .acoustic import acoustic_mouth
from ..features import frame_times
from .coarticulation import blend, enforce_closures, scale_opening
from .phones import Phone, Segment, arpabet_segments, ipa_segments
from .sphinx import FILLERS, AlignmentError, align, recognize

MODES = ("auto", "phonetic", "acoustic")



@dataclass(frozen=True, eq=False)
class LipSync:
    """The mouth layer and how it was made.

    ``method`` is "synthesis", "alignment", "recognition" or "acoustic";
    ``phones`` the phone timings used (empty for acoustic).
    """

    layer: np.ndarray
    method: str
    phones: list[Phone] = field(default_factory=list)
    reason: str = ""


def phones_look_reliable(phones: list[Phone], level: np.ndarray, fps: float) -> tuple[bool, str]:
    """Judge whether recognised phones describe the speech.

    English speech decoded by the phone loop gives 8-20 phones per second of
    speech, few of them fillers, few longer than 350 ms. Singing holds vowels
    long; other languages and noise come back as many fillers or implausible
    rates. Returns (reliable, reason).
    """
    speech_s = float((level > 0).sum()) / fps
    if speech_s < 0.3:
        return True, "little speech"
    real = [p for p in phones if p.label not in FILLERS]
    # Noise fillers over loud audio: sound the phone loop could not explain as
    # speech. (SIL inside loud stretches is normal: stop closures, breaths.)
    t = frame_times(len(level), fps)
    speaking = level > 0
    filler_s = sum(float(speaking[(t >= p.start) & (t < p.end)].sum()) / fps
                   for p in phones if p.label in FILLERS and p.label != "SIL")
    rate = len(real) / speech_s
    long_s = sum(p.end - p.start for p in real if p.end - p.start > 0.35)
    if filler_s > 0.35 * speech_s:
        return False, f"{filler_s / speech_s:.0%} of the speech decoded as noise"
    if not 6 <= rate <= 22:
        return False, f"{rate:.1f} phones per second is outside speech's 6-22"
    if long_s > 0.3 * speech_s:
        return False, f"{long_s / speech_s:.0%} held notes (singing?)"
    return True, f"{rate:.1f} phones/s"


def phonetic_mouth(segments: list[Segment], level: np.ndarray, fps: float,
                   articulation: float = 1.0) -> np.ndarray:
    """Mouth layer (frames, 52) from viseme segments and per-frame loudness."""
    layer = blend(segments, frame_times(len(level), fps))
    layer = scale_opening(layer, level, fps, articulation)
    return enforce_closures(layer, segments, fps)


def lipsync(signal: np.ndarray, rate: int, fps: float, level: np.ndarray, *,
            mode: str = "auto", text: str | None = None,
            phones: list[Phone] | None = None, alphabet: str = "arpabet",
            articulation: float = 1.0, progress: Progress = quiet) -> LipSync:
    """The mouth layer for a speech signal.

    Parameters
    ----------
    signal : ndarray (N,) float32 mono at ``rate`` (16 kHz for recognition)
    level : ndarray (frames,) loudness in [0, 1], from ``features.speech_level``
    mode : "auto", "phonetic" or "acoustic"
    text : transcript; forced alignment instead of free recognition
    phones : exact phone timings (from a synthesiser); skips recognition
    alphabet : "arpabet" or "ipa", the alphabet of ``phones``
    articulation : scale of mouth movement (1 = natural)
    """
    if mode not in MODES:
        raise OptionError(f"lip-sync mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == "acoustic":
        return LipSync(acoustic_mouth(signal, rate, fps, level) * articulation, "acoustic",
                       reason="asked for")
    if phones is not None:
        method = "synthesis"
    elif text is not None:
        try:
            phones, method = align(signal, text, progress), "alignment"
        except AlignmentError as err:  # a long job should not die on a loose transcript
            warnings.warn(f"{err}; using phone recognition instead", stacklevel=2)
            phones, method = recognize(signal, progress), "recognition"
    else:
        phones, method = recognize(signal, progress), "recognition"
        ok, why = phones_look_reliable(phones, level, fps)
        if mode == "auto" and not ok:
            return LipSync(acoustic_mouth(signal, rate, fps, level) * articulation, "acoustic",
                           phones, reason=why)
    segments = ipa_segments(phones) if alphabet == "ipa" else arpabet_segments(phones)
    return LipSync(phonetic_mouth(segments, level, fps, articulation), method, phones)


__all__ = ["MODES", "LipSync", "Phone", "Segment", "acoustic_mouth", "align", "lipsync",
           "phonetic_mouth", "phones_look_reliable", "recognize"]
