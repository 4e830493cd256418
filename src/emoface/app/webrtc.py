"""A live session over WebRTC (aiortc): the browser's microphone in, the
talking portrait's video and voice out, as one peer connection.

The browser sends an SDP offer with one audio track (its microphone, or a
file played into a MediaStream) and asks to receive video and audio; the
answer adds two tracks fed by the :class:`emoface.live.LiveSession`. Each
drawn frame leaves with its own 1/fps s of the speech, stamped with the
same clock (the frame's index), so the browser plays them in sync; the
session is paced by the voice arriving, as over the WebSocket.

A data channel (any label) takes the WebSocket's text messages:
``{"emotion": "sad", "intensity": 0.6}`` and ``{"end": true}``; errors and
notices come back on it as ``{"error": ...}`` / ``{"notice": ...}``.
"""

from __future__ import annotations

import asyncio
import fractions
import json
from typing import Any, Callable

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from ..drivers.lipsync.sphinx import RATE

#: RTP's video clock (Hz): a frame's timestamp is its index times 90000/fps.
VIDEO_CLOCK = 90_000
#: Audio goes out in 20 ms packets, Opus's usual frame.
AUDIO_PACKET = RATE // 50
#: Peer connections alive now: aiortc's objects must be held or they are collected mid-call.
_OPEN: set[RTCPeerConnection] = set()


class _Queued(MediaStreamTrack):
    """An outgoing track whose frames are put on a queue as they are drawn."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def recv(self):
        frame = await self.queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame


def video_frame(image: np.ndarray, index: int, fps: float) -> av.VideoFrame:
    """A drawn picture as a video frame stamped with its moment."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    frame.pts, frame.time_base = round(index * VIDEO_CLOCK / fps), fractions.Fraction(1, VIDEO_CLOCK)
    return frame


def audio_frames(pcm: bytes, first_sample: int) -> list[av.AudioFrame]:
    """A frame's speech (16-bit mono PCM at 16 kHz) as 20 ms audio frames
    stamped from ``first_sample`` on."""
    samples = np.frombuffer(pcm, np.int16)
    out = []
    for start in range(0, len(samples), AUDIO_PACKET):
        part = samples[start:start + AUDIO_PACKET]
        frame = av.AudioFrame.from_ndarray(part.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, first_sample + start
        frame.time_base = fractions.Fraction(1, RATE)
        out.append(frame)
    return out


def _pcm16(frames: list[av.AudioFrame]) -> bytes:
    return b"".join(f.to_ndarray().astype(np.int16).tobytes() for f in frames)


async def answer(offer: dict[str, str], session: Any, quiet_s: float,
                 on_close: Callable[[], None]) -> dict[str, str]:
    """The SDP answer to a browser's ``offer`` (``{"sdp", "type"}``) for a
    ready :class:`~emoface.live.LiveSession`. The connection lives until the
    browser leaves, says end, or sends no audio for ``quiet_s`` seconds;
    then ``on_close`` runs once. Raises ValueError for an offer that is not
    one (``on_close`` has then run)."""
    pc = RTCPeerConnection()
    _OPEN.add(pc)
    video, audio = _Queued("video"), _Queued("audio")
    channels: list[Any] = []
    closed = asyncio.Event()

    async def close() -> None:
        if closed.is_set():
            return
        closed.set()
        for track in (video, audio):
            track.queue.put_nowait(None)
        await pc.close()
        _OPEN.discard(pc)
        on_close()

    def say(message: dict[str, Any]) -> None:
        for channel in channels:
            if channel.readyState == "open":
                channel.send(json.dumps(message))

    async def send(frames) -> None:
        for f in frames:
            video.queue.put_nowait(video_frame(f.image, f.index, session.fps))
            first = round(f.index * RATE / session.fps)
            for a in audio_frames(f.audio, first):
                audio.queue.put_nowait(a)
        for notice in session.notices():
            say({"notice": notice})

    async def pump(track: MediaStreamTrack) -> None:
        """The browser's voice into the session, 40 ms at a time."""
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        pending = bytearray()
        try:
            while not closed.is_set():
                try:
                    got = await asyncio.wait_for(track.recv(), quiet_s)
                except (MediaStreamError, asyncio.TimeoutError):
                    break
                pending += _pcm16(resampler.resample(got))
                if len(pending) >= 2 * round(RATE / session.fps):
                    chunk, pending[:] = bytes(pending), b""
                    await send(await asyncio.to_thread(session.push_audio, chunk))
        finally:
            await close()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            asyncio.ensure_future(pump(track))

    @pc.on("datachannel")
    def on_channel(channel) -> None:
        channels.append(channel)

        @channel.on("message")
        def on_message(text) -> None:
            asyncio.ensure_future(_control(text))

    async def _control(text: Any) -> None:
        from ..errors import EmofaceError
        from ..stream import control

        try:
            if control(session, text if isinstance(text, str) else ""):
                await send(await asyncio.to_thread(session.end))
                await asyncio.sleep(0.5)  # let the last frames leave
                await close()
        except (EmofaceError, ValueError) as err:
            say({"error": str(err)})

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            await close()

    try:
        if not isinstance(offer, dict) or offer.get("type") != "offer" or not isinstance(offer.get("sdp"), str):
            raise ValueError('send the browser\'s offer as {"sdp": "...", "type": "offer"}')
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        if not any(t.receiver.track and t.receiver.track.kind == "audio" for t in pc.getTransceivers()):
            raise ValueError("the offer sends no audio: add the microphone's track (or a file's) before the offer")
        pc.addTrack(video)
        pc.addTrack(audio)
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as err:  # aiortc raises ValueError and others for SDP it cannot use
        await close()
        raise ValueError(str(err) or type(err).__name__) from None
    # A browser that never connects sends no audio either: the pump's quiet timer ends it.
    return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}
