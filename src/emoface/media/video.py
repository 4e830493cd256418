"""Video files: decode frames (driving videos, dubbing) and encode H.264 mp4
with the speech muxed in as AAC."""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import File, InputError
from .atomic import atomic_path
from .audio import Audio


#: x264's threads. Its frame threading shapes the bitstream, and left to
#: itself it starts 1.5 per core: the same frames would encode to other bytes
#: on a machine with other cores (a batch on a Ray cluster). Pinned, an mp4
#: depends only on its frames.
X264_THREADS = 4


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even dimensions."""
    return width - width % 2, height - height % 2


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float,
                audio: Audio | None = None, crf: int = 18, duration: float | None = None) -> Path:
    """Write RGB uint8 frames (H, W, 3) to ``path`` as H.264 yuv420p (+ AAC).

    The file appears at ``path`` only once complete. The audio is trimmed to
    the video's length so that the two durations agree; given the video's
    ``duration`` (seconds), shorter audio is padded with silence to it.
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
            if duration is not None and len(audio.samples) < round(duration * audio.rate):
                pad = np.zeros((round(duration * audio.rate) - len(audio.samples), audio.samples.shape[1]),
                               audio.samples.dtype)
                audio = Audio(np.concatenate([audio.samples, pad]), audio.rate)
            audio.write_wav(audio_path)
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1, ffmpeg_log_level="error",
            audio_path=audio_path, audio_codec="aac" if audio_path else None,
            output_params=["-crf", str(crf), "-preset", "veryfast", "-threads", str(X264_THREADS),
                           "-movflags", "+faststart",
                           *(["-b:a", "96k", "-shortest"] if audio_path else [])])
        writer.send(None)
        try:
            writer.send(np.ascontiguousarray(first))
            for frame in it:
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()
    return path


VIDEO_HINT = "give a video file (mp4, mov, mkv, webm, avi) with a visible face"


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds, from its header."""

    path: Path
    fps: float
    size: tuple[int, int]  # width, height of decoded frames
    duration: float

    @property
    def n_frames(self) -> int:
        """Frames the header promises (decoding may yield one or two fewer)."""
        return max(1, round(self.duration * self.fps))


def open_video(path: str | Path, max_side: int | None = None) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Header and a frame iterator (RGB uint8, (H, W, 3)) of a video file,
    decoded by ffmpeg one frame at a time (memory stays flat). Frames are
    scaled down to ``max_side`` if larger.

    Raises
    ------
    InputError
        Missing file, or one ffmpeg cannot read as video.
    """
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise InputError(File(path), ": video file not found; check the path")
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True, errors="replace")
    if not re.search(r"Stream #[^\n]*Video:", probe.stderr):
        raise InputError(File(path), f": no video stream found; {VIDEO_HINT}")
    scale = None
    m = re.search(r"Video: [^\n]*?, (\d{2,5})x(\d{2,5})", probe.stderr)
    if max_side and m and max(int(m.group(1)), int(m.group(2))) > max_side:
        scale = f"scale='if(gt(iw,ih),{max_side},-2)':'if(gt(iw,ih),-2,{max_side})'"
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24",
                                     output_params=["-vf", scale] if scale else None)
    log = logging.getLogger("imageio_ffmpeg")
    level = log.level
    log.setLevel(logging.ERROR)  # it warns that a scaled frame differs from the source's size
    try:
        meta = next(gen)
    except (RuntimeError, OSError, StopIteration) as err:
        raise InputError(File(path), f": cannot decode video ({str(err).strip().splitlines()[-1]}); "
                         f"{VIDEO_HINT}") from None
    finally:
        log.setLevel(level)
    w, h = meta["size"]
    fps = float(meta.get("fps") or 0)
    if not (1.0 <= fps <= 240.0):
        gen.close()
        raise InputError(File(path), f": video frame rate {fps:g} is not usable; re-encode it at 24-60 fps")
    info = VideoInfo(path, fps, (int(w), int(h)), float(meta.get("duration") or 0.0))

    def frames() -> Iterator[np.ndarray]:
        try:
            for buf in gen:
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        except RuntimeError as err:
            raise InputError(File(path), f": video is damaged ({str(err).strip().splitlines()[-1]}); "
                             "re-encode it") from None
        finally:
            gen.close()

    return info, frames()
