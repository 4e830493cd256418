"""Live talking portrait: what a frame costs and how far the face runs behind
the voice (docs/live.md).

A minute of speech (the lip-sync evaluation's Piper sentences, one after
another) is pushed into :class:`emoface.live.LiveSession` in 20 ms chunks at
the pace it would be spoken. For every frame: the time to motion and draw it,
and its latency, from the moment the chunk holding the frame's own moment
was pushed to the moment the frame was handed out (the look-ahead plus the
work). Then the same speech through a real server (WebSocket /v1/live,
JPEG frames, the example client), chunk sent to frame received.

Run: .venv/bin/python benchmarks/live_eval.py  (writes docs/live.md's figures)
"""

from __future__ import annotations

import platform
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lipsync_eval import piper_clips  # noqa: E402

from emoface.drivers.lipsync.sphinx import RATE  # noqa: E402
from emoface.live import LiveSession  # noqa: E402
from emoface.stream import pcm16  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "live.md"
MARK = "<!-- measured by benchmarks/live_eval.py -->"
CHUNK_S = 0.02


def run(seconds: float = 60.0) -> dict[str, float]:
    import skimage.data

    clips = piper_clips()
    signal = np.concatenate([c.audio.mono(RATE) for c in clips])
    signal = np.tile(signal, int(np.ceil(seconds * RATE / len(signal))))[: int(seconds * RATE)]
    data, step = pcm16(signal), int(CHUNK_S * RATE) * 2
    live = LiveSession(skimage.data.astronaut())
    pushed: list[float] = []  # when each chunk went in
    costs, latencies, late = [], [], 0
    start = time.perf_counter()
    for k, i in enumerate(range(0, len(data), step)):
        due = start + k * CHUNK_S  # spoken in real time
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        else:
            late += 1
        pushed.append(time.perf_counter())
        t0 = time.perf_counter()
        frames = live.push_audio(data[i:i + step])
        t1 = time.perf_counter()
        for f in frames:
            chunk = min(int(f.time / CHUNK_S), len(pushed) - 1)
            latencies.append(t1 - pushed[chunk])
        if frames:
            costs += [(t1 - t0) / len(frames)] * len(frames)
    ms = 1000 * np.array(costs)
    lat = 1000 * np.array(latencies)
    return {"seconds": seconds, "frames": len(costs), "fps": live.fps, "cost_p50": float(np.percentile(ms, 50)),
            "cost_p95": float(np.percentile(ms, 95)), "latency_p50": float(np.percentile(lat, 50)),
            "latency_p95": float(np.percentile(lat, 95)), "late_chunks": late}


def over_the_network(seconds: float = 60.0, size: int = 512) -> dict[str, float]:
    """The same speech through a real ``emoface serve`` (WebSocket /v1/live,
    JPEG frames) and the example client: frames received, their rate as they
    arrived, latency from the chunk holding a frame's moment to the frame's
    arrival, and the longest wait between two frames."""
    import asyncio
    import tempfile

    import cv2
    import skimage.data

    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "examples"))
    from live_client import talk, upload
    from support.server import Server  # the tests' real-server helper

    clips = piper_clips()
    signal = np.concatenate([c.audio.mono(RATE) for c in clips])
    signal = np.tile(signal, int(np.ceil(seconds * RATE / len(signal))))[: int(seconds * RATE)]
    data, step = pcm16(signal), int(CHUNK_S * RATE) * 2
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "astronaut.png"
        cv2.imwrite(str(photo), skimage.data.astronaut()[..., ::-1])
        server = Server(Path(tmp) / "data").start()
        try:
            pid = upload(server.url, photo)
            url = server.url.replace("http", "ws") + f"/v1/live?portrait={pid}&size={size}"
            frames, gaps, arrivals = asyncio.run(talk(url, [data[i:i + step] for i in range(0, len(data), step)],
                                                      CHUNK_S))
        finally:
            server.stop()
    lat = 1000 * np.array(gaps)
    between = 1000 * np.diff(arrivals)
    return {"frames": len(frames), "expected": round(seconds * 25), "size": size,
            "fps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
            "latency_p50": float(np.percentile(lat, 50)), "latency_p95": float(np.percentile(lat, 95)),
            "gap_max": float(between.max()), "gap_p99": float(np.percentile(between, 99))}


def main() -> None:
    r = run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
    n = over_the_network(r["seconds"])
    lines = [MARK, "", f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"the astronaut portrait (512 px), {r['fps']:g} fps, {CHUNK_S * 1000:.0f} ms chunks pushed in real time, "
             f"look-ahead 100 ms, {r['seconds']:.0f} s of speech ({r['frames']} frames).", "",
             "| motion and drawing, per frame | p50 | p95 |", "|---|---|---|",
             f"| cost | {r['cost_p50']:.1f} ms | {r['cost_p95']:.1f} ms |",
             f"| latency (chunk in to frame out) | {r['latency_p50']:.0f} ms | {r['latency_p95']:.0f} ms |", "",
             f"Chunks that could not be taken when due (the session fell behind): {r['late_chunks']}.", "",
             f"Over the network: the same speech through `emoface serve` (WebSocket `/v1/live`, "
             f"{n['size']} px JPEG frames) and `examples/live_client.py` on the same machine.", "",
             "| through the server | figure |", "|---|---|",
             f"| frames received | {n['frames']} of {n['expected']} |",
             f"| rate as they arrived | {n['fps']:.1f} a second |",
             f"| latency (chunk sent to frame received), p50 / p95 | {n['latency_p50']:.0f} / "
             f"{n['latency_p95']:.0f} ms |",
             f"| longest wait between two frames (p99, max) | {n['gap_p99']:.0f}, {n['gap_max']:.0f} ms |"]
    print("\n".join(lines))
    text = DOC.read_text() if DOC.exists() else ""
    DOC.write_text(text.split(MARK)[0] + "\n".join(lines) + "\n")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
