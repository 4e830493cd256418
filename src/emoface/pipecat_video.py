"""The live talking portrait as a Pipecat processor, for voice agents.

Put :class:`EmofaceVideo` after the TTS service in a Pipecat pipeline: the
speech it is given (``TTSAudioRawFrame``, any rate) comes out again as the
portrait's frames (``OutputImageRawFrame``), each followed by its own 1/fps
seconds of that speech (16 kHz), so the transport plays picture and sound
together. It runs :class:`emoface.live.LiveSession`, the same path as the
offline renderer, on the machine the agent runs on: no avatar cloud.

>>> from emoface.pipecat_video import EmofaceVideo
>>> pipeline = Pipeline([transport.input(), stt, llm, tts, EmofaceVideo("me.jpg"), transport.output()])

Needs ``pipecat-ai`` (``pip install 'emoface[agents]'``). When the TTS stops,
the frames the look-ahead held back are sent. While the agent is silent
(from a moment after its last speech has played), the face idles: it
listens, blinks and breathes at the frame rate, pictures only. Each
speaking picture is marked to show once the speech before it has played
(``sync_with_audio``): a transport whose video is not "live" (Pipecat's
default, ``video_out_is_live=False``) shows it from the moment its own
speech plays, and keeps showing the newest picture at its frame rate.
Other frames pass through.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import soxr
from pipecat.frames.frames import (CancelFrame, EndFrame, Frame, OutputImageRawFrame, StartFrame, TTSAudioRawFrame,
                                   TTSStoppedFrame)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from .drivers.lipsync.sphinx import RATE
from .live import LiveFrame, LiveSession
from .options import MotionOptions, RenderOptions
from .stream import StreamOptions


class EmofaceVideo(FrameProcessor):
    """Speech in, the portrait talking out (see the module's text).

    ``motion`` and ``lookahead`` are the live stream's options (an emotion
    label or mixture, gains, blinks, gaze); ``render`` sets the frames' size
    (``max_side``). :meth:`set_emotion` changes the emotion, eased in.
    """

    def __init__(self, portrait: str | Path | np.ndarray, motion: MotionOptions = MotionOptions(),
                 render: RenderOptions = RenderOptions(max_side=512), lookahead: float = StreamOptions.lookahead,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._session = LiveSession(portrait, motion, render, lookahead)
        self._lookahead = lookahead
        self._resampler: soxr.ResampleStream | None = None
        self._rate = 0
        self._lock = asyncio.Lock()  # one push into the session at a time: speech or idle
        self._speaking_until = 0.0  # when the speech sent so far has played (event-loop clock)
        self._heard_until = 0.0  # when the speech received so far would have played, had it been sent at once
        self._idler: asyncio.Task | None = None

    def set_emotion(self, emotion: str, intensity: float | None = None) -> None:
        self._session.set_emotion(emotion, intensity)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame) and direction == FrameDirection.DOWNSTREAM:
            pcm = self._at_16k(frame)
            # Speech the look-ahead still holds is speech all the same: an
            # idle frame drawn now would put its silence inside the sentence.
            now = asyncio.get_running_loop().time()
            self._heard_until = max(self._heard_until, now) + len(pcm) / (2 * RATE)
            await self._send(await self._pushed(self._session.push_audio, pcm))
            return
        if isinstance(frame, TTSStoppedFrame):
            # The frames the look-ahead held back, and the speech's last samples.
            await self._send(await self._pushed(self._session.idle, self._lookahead + 0.05))
        if isinstance(frame, StartFrame) and self._idler is None:
            await self.push_frame(frame, direction)
            self._idler = self.create_task(self._idle())
            return
        if isinstance(frame, (EndFrame, CancelFrame)) and self._idler is not None:
            await self.cancel_task(self._idler)
            self._idler = None
        await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        await super().cleanup()
        if self._idler is not None:
            await self.cancel_task(self._idler)
            self._idler = None

    async def _pushed(self, push, *args) -> list[LiveFrame]:
        async with self._lock:
            return await asyncio.to_thread(push, *args)

    async def _idle(self) -> None:
        """Idle frames at the frame rate while no speech is playing."""
        loop = asyncio.get_running_loop()
        period = 1 / self._session.fps
        tick = loop.time()
        while True:
            tick = max(tick + period, loop.time() - period)  # a late tick is not made up in a burst
            await asyncio.sleep(max(0.0, tick - loop.time()))
            if loop.time() < max(self._speaking_until, self._heard_until) + self._lookahead + period:
                continue
            for f in await self._pushed(self._session.idle, period):
                h, w = f.image.shape[:2]
                await self.push_frame(OutputImageRawFrame(image=f.image.tobytes(), size=(w, h), format="RGB"))

    def _at_16k(self, frame: TTSAudioRawFrame) -> bytes:
        """The frame's speech as 16-bit mono PCM at 16 kHz, resampled as one
        stream (a chunk resampled alone clicks at its edges)."""
        samples = np.frombuffer(frame.audio, np.int16).reshape(-1, frame.num_channels)
        mono = samples.mean(axis=1).astype(np.int16)
        if frame.sample_rate == RATE:
            return mono.tobytes()
        if self._resampler is None or self._rate != frame.sample_rate:
            self._resampler = soxr.ResampleStream(frame.sample_rate, RATE, 1, dtype="int16")
            self._rate = frame.sample_rate
        return self._resampler.resample_chunk(mono).tobytes()

    async def _send(self, frames: list[LiveFrame]) -> None:
        loop = asyncio.get_running_loop()
        for f in frames:
            h, w = f.image.shape[:2]
            image = OutputImageRawFrame(image=f.image.tobytes(), size=(w, h), format="RGB")
            image.sync_with_audio = True
            await self.push_frame(image)
            await self.push_frame(TTSAudioRawFrame(audio=f.audio, sample_rate=RATE, num_channels=1))
            self._speaking_until = max(self._speaking_until, loop.time()) + len(f.audio) / (2 * RATE)


__all__ = ["EmofaceVideo"]
