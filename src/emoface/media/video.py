"""Encode frames to H.264 mp4 with the speech muxed in as AAC."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .audio import Audio


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even dimensions."""
    return width - width % 2, height - height % 2


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float,
                audio: Audio | None = None, crf: int = 18) -> Path:
    """Write RGB uint8 frames (H, W, 3) to ``path`` as H.264 yuv420p (+ AAC).

    The file appears at ``path`` only once complete. The audio is trimmed to
    the video's length so that the two durations agree.
    """
    import imageio_ffmpeg

    path = Path(path)
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    if (w, h) != even_size(w, h):
        raise ValueError(f"frame size {w}x{h} must be even")
    with tempfile.TemporaryDirectory() as tmpdir, atomic_path(path) as tmp:
        audio_path = None
        if audio is not None:
            audio_path = str(Path(tmpdir) / "speech.wav")
            audio.write_wav(audio_path)
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1, ffmpeg_log_level="error",
            audio_path=audio_path, audio_codec="aac" if audio_path else None,
            output_params=["-crf", str(crf), "-preset", "veryfast", "-movflags", "+faststart",
                           *(["-b:a", "96k", "-shortest"] if audio_path else [])])
        writer.send(None)
        try:
            writer.send(np.ascontiguousarray(first))
            for frame in it:
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()
    return path
