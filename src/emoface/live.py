"""A live talking portrait: speech in, frames of the face out, as the voice
arrives.

:class:`LiveSession` joins the two halves the offline path already has: the
live stream's motion (:class:`emoface.stream.StreamSession`, phones
recognised as they are spoken) and the portrait renderer that draws every
offline video. Each chunk of 16 kHz PCM pushed in returns the frames whose
moments it completed, each with its own slice of that audio, so picture and
sound stay together to the sample. While nobody speaks, push silence (or
:meth:`LiveSession.idle`): the face blinks, looks about, breathes and holds
its emotion.

>>> live = LiveSession("me.jpg")
>>> for frame in live.push_audio(chunk):     # 16-bit mono PCM at 16 kHz
...     show(frame.image); play(frame.audio)
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .drivers.lipsync.sphinx import RATE
from .motion import MotionTrack
from .options import MotionOptions, RenderOptions, check_declared, option, option_types
from .progress import Progress, quiet
from .stream import StreamOptions, StreamSession, named_as_sent, stream_options, typed_query

if TYPE_CHECKING:  # the renderer pulls in OpenCV and MediaPipe
    from .render import PortraitRenderer


@dataclass(frozen=True, eq=False)
class LiveFrame:
    """One frame of a live session: its number from the session's start, the
    moment it shows (seconds), the picture (H, W, 3) RGB uint8, and the
    speech that plays with it (16-bit mono PCM at 16 kHz, 1/fps seconds)."""

    index: int
    time: float
    image: np.ndarray
    audio: bytes


class LiveSession:
    """A portrait that talks as speech arrives (see the module's text).

    ``motion`` takes the live stream's options (an emotion label, mixture or
    keyframes; gains; blinks, gaze, seed); ``lookahead`` is how far behind
    the voice the face runs (the recogniser needs a little of what follows
    a sound to name it).
    """

    def __init__(self, portrait: str | Path | np.ndarray, motion: MotionOptions = MotionOptions(),
                 render: RenderOptions = RenderOptions(), lookahead: float = StreamOptions.lookahead,
                 progress: Progress = quiet) -> None:
        from .pipeline import prepare_portrait

        self._motion = StreamSession(motion, lookahead)  # options first: a bad one fails before the tracker runs
        self.renderer: PortraitRenderer = prepare_portrait(portrait, render, progress)
        self._motion.baseline = self.renderer.baseline  # a neutral face keeps the photo's own expression
        self._pcm = bytearray()  # pushed audio not yet handed out with a frame
        self._pcm_start = 0  # the sample index of _pcm[0]
        self.load = Load()
        self._shown: np.ndarray | None = None  # the last picture drawn, shown again on frames not drawn
        self._notices: list[str] = []

    @property
    def fps(self) -> float:
        return self._motion.fps

    def push_audio(self, pcm16: bytes) -> list[LiveFrame]:
        """Feed speech (any chunk size, whole samples); the frames it completes."""
        frames = self._motion.feed(pcm16)
        self._pcm += pcm16
        return self._drawn(frames)

    def idle(self, seconds: float) -> list[LiveFrame]:
        """``seconds`` of silence: the face listening, blinking, breathing."""
        return self.push_audio(bytes(2 * round(seconds * RATE)))

    def set_emotion(self, emotion: str, intensity: float | None = None) -> None:
        """From the next frame on, ease into ``emotion`` (a label or a mixture
        such as ``happy@0.6+surprised@0.3``)."""
        self._motion.set_emotion(emotion, intensity)

    def end(self) -> list[LiveFrame]:
        """The last frames, those the look-ahead was still waiting on."""
        return self._drawn(self._motion.end())

    def notices(self) -> list[str]:
        """What the session has to tell its viewer since last asked (each
        said once): that a busy machine made it draw fewer frames."""
        said, self._notices = self._notices, []
        return said

    def _drawn(self, frames: MotionTrack) -> list[LiveFrame]:
        out = []
        for k in range(len(frames)):
            index = frames.start + k
            if self._shown is None or index % self.load.every == 0:
                start = time.perf_counter()
                self._shown = self.renderer.render(frames.coefficients[k], frames.pose[k])
                if self.load.drawn(time.perf_counter() - start, 1 / frames.fps):
                    self._notices.append(
                        f"this machine is too busy to draw {frames.fps:g} frames a second: drawing "
                        f"{frames.fps / self.load.every:g}, each shown until the next, the voice in sync")
            out.append(LiveFrame(index, index / frames.fps, self._shown, self._audio_of(index, frames.fps)))
        return out

    def _audio_of(self, index: int, fps: float) -> bytes:
        """The frame's own stretch of the pushed speech (zeros past its end,
        for the frames end() flushes), dropped once handed out."""
        a, b = round(index * RATE / fps), round((index + 1) * RATE / fps)
        lo, hi = 2 * (a - self._pcm_start), 2 * (b - self._pcm_start)
        chunk = bytes(self._pcm[max(lo, 0):hi])
        del self._pcm[:max(hi, 0)]
        self._pcm_start = max(self._pcm_start, b)
        return chunk + bytes(2 * (b - a) - len(chunk))


@dataclass
class Load:
    """How a live session keeps real time on a busy machine: it draws every
    ``every``-th frame and shows it until the next (a lower frame rate, the
    speech untouched, so sound and picture cannot drift apart). The cost of
    a drawing is followed as a running mean; when it takes more than
    ``share`` of the time its frames last, one more frame in each run is
    skipped, up to ``most``. Never eased back within a session: a viewer
    is told once, not every time the load comes and goes."""

    share: float = 0.6
    most: int = 3
    every: int = 1
    cost: float = 0.0  # running mean of one drawing, seconds
    seen: int = 0

    #: Drawings before the first judgement: the first few warm caches up.
    WARM_UP = 25

    def drawn(self, seconds: float, frame_s: float) -> bool:
        """Count one drawing; True when the session now draws fewer frames."""
        self.seen += 1
        self.cost = seconds if self.seen == 1 else 0.9 * self.cost + 0.1 * seconds
        if self.seen < self.WARM_UP or self.every >= self.most or self.cost <= self.share * frame_s * self.every:
            return False
        self.every += 1
        self.seen = self.WARM_UP // 2  # judge the new rate on fresh drawings
        return True


@dataclass(frozen=True)
class LiveOptions:
    """What a live session sent over the network adds to the stream's
    options (its query keys): the pictures' size and their JPEG quality."""

    size: int = option(512, "longest side of the frames sent, in pixels (256-1024)", range=(256, 1024))
    quality: int = option(80, "JPEG quality of the frames sent (30-95)", range=(30, 95))

    def __post_init__(self) -> None:
        check_declared(self)

    @property
    def render(self) -> RenderOptions:
        """The renderer's options: the face drawn at the size it is sent."""
        return RenderOptions(size=self.size, max_side=self.size)


@named_as_sent
def live_options(values: dict[str, str]) -> tuple[MotionOptions, float, LiveOptions]:
    """MotionOptions, look-ahead and LiveOptions from a live session's query
    string (``portrait`` taken out): the stream's keys and ``size``, ``quality``."""
    values = dict(values)
    mine = {name: values.pop(name) for name in option_types(LiveOptions) if name in values}
    motion, lookahead = stream_options(values)
    return motion, lookahead, LiveOptions(**typed_query(mine, LiveOptions))


#: A frame on the wire: magic, frame index, time (s), JPEG length; then the
#: JPEG, then the frame's speech (16-bit mono PCM at 16 kHz, the rest).
FRAME_MAGIC = b"EMF1"
_HEADER = struct.Struct(">4sIfI")


def jpeg(image: np.ndarray, quality: int = 80) -> bytes:
    """An RGB picture as JPEG bytes."""
    import cv2

    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB image
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


def frame_message(frame: LiveFrame, quality: int = 80, encoded: bytes | None = None) -> bytes:
    """One frame as one binary message (see :data:`FRAME_MAGIC`); ``encoded``
    is its picture's JPEG where the caller has it already."""
    data = encoded if encoded is not None else jpeg(frame.image, quality)
    return _HEADER.pack(FRAME_MAGIC, frame.index, frame.time, len(data)) + data + frame.audio


def read_frame_message(data: bytes) -> tuple[int, float, bytes, bytes]:
    """A frame message's index, time, JPEG bytes and PCM audio."""
    magic, index, time, size = _HEADER.unpack_from(data)
    if magic != FRAME_MAGIC:
        raise ValueError("not an emoface live frame")
    start = _HEADER.size
    return index, time, data[start:start + size], data[start + size:]
