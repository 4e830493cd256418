"""A WebRTC peer for the tests, with aiortc: speech sent as a microphone
would (in real time), what comes back collected."""

import asyncio
import fractions
import time

import numpy as np


def spoken_track(pcm: bytes):
    """An audio track that plays 16-bit mono 16 kHz ``pcm`` in real time,
    20 ms a frame, then silence."""
    import av
    from aiortc import MediaStreamTrack

    class Spoken(MediaStreamTrack):
        kind = "audio"

        def __init__(self):
            super().__init__()
            self.at, self.start = 0, None

        async def recv(self):
            self.start = self.start or time.monotonic()
            await asyncio.sleep(max(0.0, self.start + self.at / 16000 - time.monotonic()))
            part = pcm[2 * self.at:2 * (self.at + 320)].ljust(640, b"\0")
            frame = av.AudioFrame.from_ndarray(np.frombuffer(part, np.int16).reshape(1, -1), format="s16",
                                               layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 16000, self.at, fractions.Fraction(1, 16000)
            self.at += 320
            return frame

    return Spoken()


def collect(pc, video: list, sound: list | None = None, first: asyncio.Event | None = None) -> None:
    """Keep what ``pc`` receives: (arrival, RGB picture) of each video frame,
    each audio frame's samples; ``first`` is set at the first picture."""

    @pc.on("track")
    def on_track(track):
        async def read():
            while True:
                try:
                    frame = await track.recv()
                except Exception:  # the track ended
                    return
                if track.kind == "video":
                    video.append((time.monotonic(), frame.to_ndarray(format="rgb24")))
                    if first is not None:
                        first.set()
                elif sound is not None:
                    sound.append(frame.to_ndarray())

        asyncio.ensure_future(read())
