"""Make a portrait talk live through ``emoface serve``: upload the photo,
stream speech at speaking pace, receive the drawn frames with their speech.

    python examples/live_client.py me.jpg speech.wav                 # prints frame rate and latency
    python examples/live_client.py me.jpg speech.wav --out live.mp4  # and keeps what came back

Latency is, for every frame, the time from sending the chunk that holds the
frame's moment to receiving the frame (drawn and JPEG-encoded). Needs
``websockets`` (in emoface's ``serve`` extra). Protocol: docs/live.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_client import RATE, file_chunks, send_paced  # noqa: E402


def upload(base: str, photo: Path, api_key: str | None = None) -> str:
    """The portrait's id on the server (POST /v1/portraits)."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{photo.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + photo.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **({"X-API-Key": api_key} if api_key else {})}
    request = urllib.request.Request(base + "/v1/portraits", body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read())["portrait"]
    except urllib.error.HTTPError as err:
        raise ValueError(json.loads(err.read() or b"{}").get("detail", f"HTTP {err.code}")) from None


async def talk(url: str, chunks, chunk_s: float, emotion: str | None = None, api_key: str | None = None
               ) -> tuple[list[tuple[int, float, bytes, bytes]], list[float], list[float]]:
    """Send PCM ``chunks`` at speaking pace; the frames (index, time, JPEG,
    audio), each frame's latency and its arrival time (seconds)."""
    import websockets

    from emoface.live import read_frame_message

    sent: list[float] = []
    frames, gaps, arrivals = [], [], []
    headers = {"X-API-Key": api_key} if api_key else {}
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        async def receive() -> None:
            async for message in ws:
                got = time.perf_counter()
                if isinstance(message, str):  # an error about a message, or a notice (a busy server)
                    said = json.loads(message)
                    print(f"server: {said.get('error') or said.get('notice')}", file=sys.stderr)
                    continue
                frame = read_frame_message(message)
                frames.append(frame)
                arrivals.append(got)
                k = int(frame[1] / chunk_s + 1e-6)  # the chunk holding the frame's moment
                if k < len(sent):
                    gaps.append(got - sent[k])

        ready = json.loads(await ws.recv())  # the server has read the portrait
        if "ready" not in ready:
            raise ConnectionError(f"the server did not start the session: {ready}")
        reader = asyncio.create_task(receive())
        if emotion:
            await ws.send(json.dumps({"emotion": emotion}))
        await send_paced(ws, chunks, chunk_s, sent)
        await reader
        if ws.close_code not in (1000, None):
            raise ConnectionError(f"the server closed the session: {ws.close_reason or ws.close_code}")
    return frames, gaps, arrivals


def save(frames, fps: float, path: Path) -> None:
    """The frames and their speech as an mp4."""
    import cv2

    from emoface.media.audio import Audio
    from emoface.media.video import write_video

    images = [cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)[..., ::-1] for _, _, jpeg, _ in frames]
    h, w = (s - s % 2 for s in images[0].shape[:2])
    pcm = np.frombuffer(b"".join(audio for *_, audio in frames), np.int16)
    write_video(path, (i[:h, :w] for i in images), fps, Audio((pcm.astype(np.float32) / 32768)[:, None], RATE))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("portrait", type=Path, help="the photo to bring to life")
    ap.add_argument("audio", type=Path, help="a speech file (any format ffmpeg reads)")
    ap.add_argument("--url", default="http://127.0.0.1:8000", help="the server")
    ap.add_argument("--api-key")
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--size", type=int, default=512, help="longest side of the frames (256-1024)")
    ap.add_argument("--emotion", help="emotion to set when the session starts, e.g. happy or happy@0.5")
    ap.add_argument("--chunk-ms", type=float, default=20.0, help="chunk length, 20-100 ms")
    ap.add_argument("--out", type=Path, help="write what came back here (.mp4)")
    args = ap.parse_args()
    chunk_s = args.chunk_ms / 1000
    try:
        for p in (args.portrait, args.audio):
            if not p.is_file():
                raise ValueError(f"{p}: file not found")
        pid = upload(args.url, args.portrait, args.api_key)
        url = args.url.replace("http", "ws", 1) + f"/v1/live?portrait={pid}&fps={args.fps:g}&size={args.size}"
        frames, gaps, arrivals = asyncio.run(talk(url, file_chunks(args.audio, chunk_s), chunk_s, args.emotion,
                                                  args.api_key))
        if args.out and frames:
            save(frames, args.fps, args.out)
    except Exception as err:  # noqa: BLE001 - one line for the user, whatever went wrong
        print(f"live_client: {err}", file=sys.stderr)
        return 1
    ms = np.array(gaps) * 1000
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    summary = f"{len(frames)} frames" + (f", {(len(frames) - 1) / span:.1f} a second as they arrived" if span else "")
    if len(ms):
        summary += (f"; latency p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
                    f"max {ms.max():.0f} ms")
    print(summary + (f"; wrote {args.out}" if args.out and frames else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
