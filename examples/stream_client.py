"""Stream speech to ``emoface serve`` and receive ARKit frames as it is spoken.

    python examples/stream_client.py speech.wav                # a file, at speaking pace
    python examples/stream_client.py --mic 10                  # ten seconds of microphone
    python examples/stream_client.py speech.wav --emotion happy --fps 60 --out frames.jsonl

Prints how many frames came back and the latency: for every frame, the time
from sending the chunk that holds the frame's moment to receiving the frame.
Needs ``websockets`` (in emoface's ``serve`` extra); ``--mic`` needs
``sounddevice`` and the PortAudio library. Protocol: docs/stream.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

RATE = 16_000


async def stream(url: str, chunks, chunk_s: float, emotion: str | None = None,
                 api_key: str | None = None, realtime: bool = True, out=None) -> tuple[int, list[float]]:
    """Send PCM ``chunks`` (bytes, ``chunk_s`` seconds each, an iterable or
    async iterable); returns (frames received, latency of each in seconds)."""
    import websockets

    sent: list[float] = []
    gaps: list[float] = []
    frames = 0
    headers = {"X-API-Key": api_key} if api_key else {}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        async def receive() -> None:
            nonlocal frames
            async for message in ws:
                got = time.perf_counter()
                reply = json.loads(message)
                if "error" in reply:
                    print(f"server: {reply['error']}", file=sys.stderr)
                for frame in reply.get("frames", []):
                    frames += 1
                    k = int(frame["time"] / chunk_s + 1e-6)  # the chunk holding the frame's moment
                    if k < len(sent):
                        gaps.append(got - sent[k])
                    if out is not None:
                        out.write(json.dumps(frame) + "\n")

        reader = asyncio.create_task(receive())
        if emotion:
            await ws.send(json.dumps({"emotion": emotion}))
        await send_paced(ws, chunks, chunk_s, sent, realtime)
        await reader
        if ws.close_code not in (1000, None):
            raise ConnectionError(f"the server closed the stream: {ws.close_reason or ws.close_code}")
    return frames, gaps


async def send_paced(ws, chunks, chunk_s: float, sent: list[float], realtime: bool = True) -> None:
    """Send every chunk (at speaking pace when ``realtime``: a file plays as
    if spoken, a microphone paces itself), noting when each left in
    ``sent``; then the end of the speech."""
    t0 = time.perf_counter()
    async for chunk in _aiter(chunks):
        if realtime:
            await asyncio.sleep(max(0.0, t0 + (len(sent) + 1) * chunk_s - time.perf_counter()))
        sent.append(time.perf_counter())
        await ws.send(chunk)
    await ws.send(json.dumps({"end": True}))


async def _aiter(chunks):
    if hasattr(chunks, "__aiter__"):
        async for c in chunks:
            yield c
    else:
        for c in chunks:
            yield c


def file_chunks(path: Path, chunk_s: float) -> list[bytes]:
    """A sound file as 16 kHz mono 16-bit chunks."""
    from emoface.media.audio import load_audio
    from emoface.stream import pcm16

    pcm = pcm16(load_audio(path).mono(RATE))
    step = int(chunk_s * RATE) * 2
    return [pcm[i:i + step] for i in range(0, len(pcm), step)]


async def mic_chunks(seconds: float, chunk_s: float):
    """The default microphone, chunk by chunk, as it records."""
    import sounddevice

    queue: asyncio.Queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def callback(data, frames, when, status) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, bytes(data))

    with sounddevice.RawInputStream(samplerate=RATE, channels=1, dtype="int16",
                                    blocksize=int(chunk_s * RATE), callback=callback):
        for _ in range(int(seconds / chunk_s)):
            yield await queue.get()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("audio", nargs="?", type=Path, help="a speech file (any format ffmpeg reads)")
    ap.add_argument("--mic", type=float, metavar="SECONDS", help="stream the microphone for this long instead")
    ap.add_argument("--url", default="ws://127.0.0.1:8000/v1/stream")
    ap.add_argument("--api-key")
    ap.add_argument("--fps", type=float, help="frames per second (server default 25)")
    ap.add_argument("--emotion", help="emotion to set when the stream starts, e.g. happy or happy@0.5")
    ap.add_argument("--chunk-ms", type=float, default=50.0, help="chunk length, 20-100 ms")
    ap.add_argument("--as-fast-as-possible", action="store_true", help="send a file without waiting")
    ap.add_argument("--out", type=Path, help="write the frames here, one JSON object a line")
    args = ap.parse_args()
    chunk_s = args.chunk_ms / 1000
    url = args.url + (f"{'&' if '?' in args.url else '?'}fps={args.fps:g}" if args.fps else "")
    try:
        if (args.audio is None) == (args.mic is None):
            raise ValueError("give a speech file or --mic SECONDS")
        if args.mic is not None:
            chunks, realtime = mic_chunks(args.mic, chunk_s), False
        else:
            chunks, realtime = file_chunks(args.audio, chunk_s), not args.as_fast_as_possible
        out = args.out.open("w") if args.out else None
        frames, gaps = asyncio.run(stream(url, chunks, chunk_s, args.emotion, args.api_key, realtime, out))
    except Exception as err:  # noqa: BLE001 - one line for the user, whatever went wrong
        print(f"stream_client: {err}", file=sys.stderr)
        return 1
    ms = np.array(gaps) * 1000
    summary = f"{frames} frames"
    if len(ms):
        summary += (f"; latency p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
                    f"max {ms.max():.0f} ms")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
