"""Emotion from the voice: arousal (and the little valence prosody gives)
per phrase, from pitch, loudness, vocal effort and speaking rate
(``--emotion auto``).

No speech-emotion model ships offline, so this reads what prosody research
finds robust: aroused speech (joy, anger, fear, surprise) is higher, wider
in pitch, louder, more effortful (more energy above 1 kHz) and faster; low
arousal (sadness, calm) is lower, flatter, quieter and slower. Arousal is
measured against fixed norms of calm read speech (a pitch range of about
5 semitones, an alpha ratio of about -12 dB, about 4 syllables a second),
so an excited clip reads more aroused than a calm one of the same words;
on top of that, against the speaker's own median within the clip, phrase
by phrase. Valence is weak in prosody: an effortful aroused phrase, or a
loud one with a flat pitch, is taken as angry, any other aroused one as
happy, a clearly low, flat, slow one as sad; everything else stays
neutral. Pitch comes from Praat (parselmouth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Norms of calm read speech (what arousal 0 sounds like).
_RANGE_ST, _RANGE_SPAN = 5.0, 4.0  # pitch range (p10-p90) in semitones, and what counts as far from it
_RATE, _RATE_SPAN = 4.0, 1.5  # syllables per second
_LOUD_SPAN = 4.0  # dB of phrase loudness against the speaker's median
_LEVEL_SPAN = 3.0  # semitones of phrase pitch against the speaker's median
_TILT_DB, _TILT_SPAN = -12.0, 3.0  # alpha ratio (1-5 kHz over 50 Hz-1 kHz, voiced frames) of calm read speech
_RATE_MIN_S = 1.0  # a shorter phrase (a word or two) gives no speaking rate worth the name


@dataclass(frozen=True)
class Phrase:
    """What the voice does in one phrase."""

    start: float
    end: float
    pitch_st: float  # median pitch, semitones re 100 Hz
    range_st: float  # p90 - p10 of pitch, semitones
    loudness_db: float  # mean level of voiced frames, dB
    rate: float  # syllable nuclei per second
    tilt_db: float  # alpha ratio of voiced frames, dB: flatter (higher) with vocal effort
    arousal: float  # -1 (calm, low) .. 1 (excited)
    emotion: str
    intensity: float


def _phrases(level: np.ndarray, fps: float, min_pause: float = 0.25) -> list[tuple[int, int]]:
    from .gaze import pauses

    gaps = pauses(level, fps, min_pause)
    bounds, at = [], 0
    for a, b in gaps:
        if a > at:
            bounds.append((at, a))
        at = b
    if at < len(level):
        bounds.append((at, len(level)))
    return [(a, b) for a, b in bounds if (b - a) / fps >= 0.3 and level[a:b].max() >= 0.1]


def read_voice(signal: np.ndarray, rate: int, level: np.ndarray, fps: float) -> list[Phrase]:
    """Per-phrase prosody and its reading as emotion, for 16 kHz-ish mono ``signal``."""
    import parselmouth
    from scipy.signal import find_peaks

    x = np.asarray(signal, np.float64)
    if not len(x) or not np.any(x):
        return []
    pitch = parselmouth.Sound(x, rate).to_pitch(time_step=0.01, pitch_floor=60, pitch_ceiling=500)
    f0 = pitch.selected_array["frequency"]
    t0 = pitch.xs()
    voiced = f0 > 0
    st = np.where(voiced, 12 * np.log2(np.maximum(f0, 1) / 100.0), np.nan)
    hop = rate // 100
    n = len(x) // hop
    db = 10 * np.log10(np.square(x[: n * hop].reshape(n, hop)).mean(axis=1) + 1e-10)
    db_t = (np.arange(n) + 0.5) / 100
    speaker_st = float(np.nanmedian(st)) if voiced.any() else 0.0
    on = db_t[db > db.max() - 35]
    speaker_db = float(np.median(db[db > db.max() - 35])) if len(on) else float(db.max())
    tilt = _alpha_ratio(x, rate, hop, n, np.round(t0[voiced] * 100).astype(int))
    speaker_tilt = float(np.nanmedian(tilt)) if np.isfinite(tilt).any() else _TILT_DB
    out = []
    for a, b in _phrases(level, fps):
        s, e = a / fps, b / fps
        sel = (t0 >= s) & (t0 < e) & voiced
        if sel.sum() < 5:
            continue
        p = st[sel]
        rng = float(np.percentile(p, 90) - np.percentile(p, 10))
        med = float(np.median(p))
        dsel = (db_t >= s) & (db_t < e)
        env = np.convolve(db[dsel], np.ones(5) / 5, mode="same")
        peaks, _ = find_peaks(env, prominence=5.0, distance=10)  # ~syllable nuclei (checked on Piper)
        syl = len(peaks) / max(e - s, 0.3)
        loud = float(np.mean(db[dsel][db[dsel] > db[dsel].max() - 25]))
        tl = tilt[dsel]
        tl = float(np.nanmean(tl)) if np.isfinite(tl).any() else speaker_tilt
        # Against the norms: where the phrase sits for anyone; against the
        # speaker: what sets it apart from the rest of the clip.
        norms = [(rng - _RANGE_ST) / _RANGE_SPAN, np.clip((tl - _TILT_DB) / _TILT_SPAN, -1, 1)]
        if e - s >= _RATE_MIN_S:
            norms.append((syl - _RATE) / _RATE_SPAN)
        own = [(loud - speaker_db) / _LOUD_SPAN, (med - speaker_st) / _LEVEL_SPAN, (tl - speaker_tilt) / _TILT_SPAN]
        arousal = float(np.clip(np.mean(norms) + 0.5 * np.mean(own), -1, 1))
        emotion, intensity = _choose(arousal, rng, med - speaker_st, loud - speaker_db, tl)
        out.append(Phrase(s, e, med, rng, loud, syl, tl, arousal, emotion, intensity))
    return out


def _alpha_ratio(x: np.ndarray, rate: int, hop: int, n: int, voiced: np.ndarray) -> np.ndarray:
    """Per 10 ms frame (n,), the alpha ratio of voiced frames in dB (NaN elsewhere):
    pressed, effortful voice (anger, shouting) puts more energy above 1 kHz."""
    out = np.full(n, np.nan)
    voiced = voiced[(voiced >= 1) & (voiced < n - 1)]
    windows = np.lib.stride_tricks.sliding_window_view(x, 3 * hop)[::hop]  # a view: frame i starts at (i - 1) hops
    f = np.fft.rfftfreq(3 * hop, 1 / rate)
    low, high = (f >= 50) & (f < 1000), (f >= 1000) & (f < 5000)
    for at in range(0, len(voiced), 4096):  # in blocks, so an hour of speech stays small
        idx = voiced[at:at + 4096]
        spec = np.abs(np.fft.rfft(windows[idx - 1] * np.hanning(3 * hop), axis=1)) ** 2
        lo, hi = spec[:, low].sum(axis=1), spec[:, high].sum(axis=1)
        ok = lo + hi > 1e-9 * 3 * hop
        out[idx[ok]] = 10 * np.log10((hi[ok] + 1e-12) / (lo[ok] + 1e-12))
    return out


def _choose(arousal: float, range_st: float, pitch_rise: float, louder: float, tilt: float) -> tuple[str, float]:
    strength = float(np.clip(0.2 + 0.7 * (abs(arousal) - 0.25) / 0.75, 0, 1))
    if arousal > 0.25:
        # Anger is the most effortful voice (pressed, flat spectrum); joy is
        # aroused with a freer voice and a wide pitch.
        if tilt > _TILT_DB + _TILT_SPAN or (louder > 2.0 and range_st < _RANGE_ST + 2):
            return "angry", strength
        return "happy", strength
    # Calm is not sad: a flat, unhurried phrase is most often just calm, so
    # sadness needs twice the evidence that excitement does.
    if arousal < -0.5 and pitch_rise <= 0.5:
        return "sad", float(np.clip(0.2 + 0.7 * (-arousal - 0.5) / 0.5, 0, 1))
    return "neutral", 0.0


def voice_timeline(phrases: list[Phrase]) -> str:
    """An ``--emotion`` keyframe string: each phrase's reading from its start."""
    keys, last = [], None
    for ph in phrases:
        mix = f"{ph.emotion}@{ph.intensity:.2f}"
        if mix != last:
            keys.append(f"{max(ph.start - 0.1, 0.0) if keys else 0.0:.3f}:{mix}")
            last = mix
    return ", ".join(keys) or "neutral"


def head_energy(phrases: list[Phrase], frames: int, fps: float) -> np.ndarray:
    """Head-motion gain per frame (frames,): 0.6 for the calmest phrase, 1.4
    for the most excited, 1 between phrases; eased over half a second."""
    from scipy.ndimage import gaussian_filter1d

    gain = np.ones(frames)
    for ph in phrases:
        gain[int(ph.start * fps):int(ph.end * fps)] = 1.0 + 0.4 * ph.arousal
    return gaussian_filter1d(gain, 0.5 * fps, mode="nearest").astype(np.float32)
