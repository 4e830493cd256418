"""Decode any audio (or a video's audio track) and resample it for analysis."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import Field, File, InputError

ANALYSIS_RATE = 16_000
FORMATS_HINT = "give wav, flac, ogg, mp3, m4a, aac, webm or a video with an audio track"


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio.

    Attributes
    ----------
    samples : ndarray, shape (N, C), float32 in [-1, 1]
        The audio as recorded (all channels, native rate), used for muxing.
    rate : int
        Sample rate of ``samples`` in Hz.
    """

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.rate

    def mono(self, rate: int = ANALYSIS_RATE) -> np.ndarray:
        """Mono float32 signal, shape (M,), resampled to ``rate`` Hz."""
        x = self.samples[:, 0] if self.samples.shape[1] == 1 else self.samples.mean(axis=1)
        if rate != self.rate:
            from scipy.signal import resample_poly  # scipy.signal takes 0.4 s to import

            g = np.gcd(int(rate), int(self.rate))
            x = resample_poly(x, rate // g, self.rate // g)
        return x.astype(np.float32, copy=False)

    def write_wav(self, path: str | Path) -> None:
        """Write 16-bit PCM WAV (used to mux the speech into a video)."""
        sf.write(str(path), self.samples, self.rate, subtype="PCM_16")


@dataclass(frozen=True, eq=False)
class Speech:
    """Speech to animate: the audio, and what is known of its content.

    Attributes
    ----------
    audio : Audio
    text : str or None
        Transcript (for forced alignment).
    phones : list of (phone, start_s, end_s) or None
        Exact phone timings, when a synthesiser made the audio.
    alphabet : str
        Alphabet of ``phones``: "ipa" or "arpabet".
    """

    audio: Audio
    text: str | None = None
    phones: list[tuple[str, float, float]] | None = None
    alphabet: str = "arpabet"


def _ffmpeg_decode(path: Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    probe = subprocess.run([exe, "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True, errors="replace")
    m = re.search(r"Audio: [^\n]*?(\d+) Hz, ([^,\n]+)", probe.stderr)
    if not m:
        raise InputError(File(path), f": no audio stream found; {FORMATS_HINT}")
    channels = 1 if rate or m.group(2).strip() == "mono" else 2
    rate = rate or int(m.group(1))
    run = subprocess.run(
        [exe, "-hide_banner", "-loglevel", "error", "-i", str(path), "-vn", "-map", "0:a:0",
         "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(rate), "-"],
        capture_output=True)
    data = np.frombuffer(run.stdout, np.float32)
    if run.returncode != 0 and data.size == 0:
        reason = run.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(File(path), f": cannot decode audio ({reason[-1] if reason else 'ffmpeg failed'}); "
                         f"{FORMATS_HINT}")
    return data[: data.size // channels * channels].reshape(-1, channels), rate


def load_audio(path: str | Path, max_seconds: float | None = None,
               analysis_only: bool = False) -> Audio:
    """Decode ``path`` into an :class:`Audio`.

    soundfile reads wav/flac/ogg/mp3 directly; everything else (m4a, aac, webm,
    video containers) goes through the ffmpeg that ships with imageio-ffmpeg.
    ``analysis_only`` decodes straight to 16 kHz mono through ffmpeg, which
    keeps an hour of speech at 230 MB instead of over a gigabyte.

    Raises
    ------
    InputError
        Missing, undecodable or empty file, or longer than ``max_seconds``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(File(path), ": audio file not found; check the path")
    if analysis_only:
        data, rate = _ffmpeg_decode(path, ANALYSIS_RATE)
    else:
        try:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except Exception:  # soundfile raises several types; ffmpeg is the fallback for all
            data, rate = _ffmpeg_decode(path)
    if data.size == 0 or data.shape[0] < rate * 0.05:
        raise InputError(File(path), ": audio is empty or shorter than 50 ms; give a speech recording")
    if not np.isfinite(data).all():
        raise InputError(File(path), ": audio contains NaN/inf samples; re-export it")
    audio = Audio(np.clip(data[:, :2], -1, 1).astype(np.float32, copy=False), int(rate))
    if max_seconds is not None and audio.duration > max_seconds:
        raise InputError(File(path), f": audio is {audio.duration:.1f} s long, over the "
                         f"{max_seconds:g} s cap; trim it or raise ", Field("max_audio_seconds"))
    return audio
