"""Curves over time: smoothing without lag, gaps filled, time remapped.

Pure numpy; every function takes and returns (T, C) float arrays at a fixed
frame rate.
"""

from __future__ import annotations

import numpy as np


def _alpha(cutoff: np.ndarray, fps: float) -> np.ndarray:
    tau = 1.0 / (2 * np.pi * cutoff)
    return 1.0 / (1.0 + tau * fps)


def _one_euro_pass(x: np.ndarray, fps: float, min_cutoff: float, beta: float,
                   d_cutoff: float) -> np.ndarray:
    out = np.empty_like(x)
    prev, dprev = x[0].copy(), np.zeros_like(x[0])
    out[0] = prev
    a_d = _alpha(np.asarray(d_cutoff), fps)
    for t in range(1, len(x)):
        dx = (x[t] - prev) * fps
        dprev = dprev + a_d * (dx - dprev)
        a = _alpha(min_cutoff + beta * np.abs(dprev), fps)
        prev = prev + a * (x[t] - prev)
        out[t] = prev
    return out


def one_euro(x: np.ndarray, fps: float, min_cutoff: float = 1.5, beta: float = 0.3,
             d_cutoff: float = 1.0) -> np.ndarray:
    """One-Euro filter (Casiez et al. 2012), run forward and then backward.

    The filter smooths hard when a curve is still (tracker jitter) and hardly
    at all when it moves fast (a blink, a jaw drop): its cutoff rises with the
    speed. One pass lags by a frame or two; the backward pass lags the other
    way, so the two together keep every event where it happened (offline use:
    the whole curve is known).

    Parameters
    ----------
    x : ndarray (T, C) or (T,)
    fps : float
    min_cutoff : float
        Cutoff in Hz for a still curve (lower: smoother).
    beta : float
        How fast the cutoff rises with the curve's speed (units of x per s).
    """
    a = np.asarray(x, np.float64)
    flat = a.reshape(len(a), -1)
    if len(flat) < 2:
        return a.copy()
    fwd = _one_euro_pass(flat, fps, min_cutoff, beta, d_cutoff)
    both = _one_euro_pass(fwd[::-1], fps, min_cutoff, beta, d_cutoff)[::-1]
    return both.reshape(a.shape)


def fill_gaps(x: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Rows where ``found`` is False, linearly interpolated from the nearest
    found rows on either side (held at the ends). ``found`` must have a True."""
    a = np.asarray(x, np.float64).copy()
    ok = np.flatnonzero(found)
    if len(ok) == len(a):
        return a
    t = np.arange(len(a))
    flat = a.reshape(len(a), -1)
    for c in range(flat.shape[1]):
        flat[:, c] = np.interp(t, ok, flat[ok, c])
    return flat.reshape(a.shape)


def ping_pong(n_src: int, n_out: int, ratio: float) -> np.ndarray:
    """Fractional source frame for each output frame, playing a source of
    ``n_src`` frames forward, then backward, then forward ... so a short
    source covers a long output without a jump. ``ratio`` is source frames
    per output frame (source fps / output fps)."""
    t = np.arange(n_out) * ratio
    span = max(n_src - 1, 0)
    if span == 0:
        return np.zeros(n_out)
    phase = np.mod(t, 2 * span)
    return np.where(phase <= span, phase, 2 * span - phase)


def sample(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (T, C) at fractional indices ``at`` (linear interpolation)."""
    a = np.asarray(x, np.float64)
    i0 = np.clip(np.floor(at).astype(int), 0, len(a) - 1)
    i1 = np.minimum(i0 + 1, len(a) - 1)
    w = (np.asarray(at) - i0)[:, None] if a.ndim == 2 else np.asarray(at) - i0
    return a[i0] + (a[i1] - a[i0]) * w
