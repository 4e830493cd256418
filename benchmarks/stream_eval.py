"""Live stream: lips against ground truth and offline, and chunk-to-frame latency.

Lips: every clip of the lip-sync evaluation (espeak-ng and Piper with exact
phone timings, LibriVox with its aligned transcript) is streamed in 20 ms
chunks through :class:`emoface.stream.StreamSession` and scored with the
offline metrics (``lipsync_score.py``), at several look-aheads. Cold: a
new stream per clip (the recogniser knows nothing of the voice); warm: all
clips of a set in one stream, a second of silence between them.

Latency: a real ``emoface serve`` on localhost; a client sends a Piper clip
over ``/v1/stream`` in real time (each chunk when it would have been
spoken) and times, for every frame, the gap from the arrival of the chunk
holding the frame's moment to the frame's arrival, at 20, 50 and 100 ms
chunks and 25, 30 and 60 fps.

Run: .venv/bin/python benchmarks/stream_eval.py  (writes docs/stream.md's figures)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lipsync_eval import FPS, Clip, emoface_curves, espeak_clips, librivox_clips, piper_clips  # noqa: E402
from lipsync_score import pool, score  # noqa: E402

from emoface.media.audio import ANALYSIS_RATE  # noqa: E402
from emoface.motion import ARKIT_NAMES  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.stream import StreamSession, pcm16  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "stream.md"
MARK = "<!-- measured by benchmarks/stream_eval.py -->"


def stream_coefficients(signal: np.ndarray, lookahead: float, fps: float = FPS, chunk_s: float = 0.02,
                        session: StreamSession | None = None, end: bool = True) -> np.ndarray:
    """(T, 52) coefficients of ``signal`` (16 kHz) streamed in chunks."""
    s = session or StreamSession(MotionOptions(fps=fps), lookahead)
    data, step, out = pcm16(signal), int(chunk_s * ANALYSIS_RATE) * 2, []
    for i in range(0, len(data), step):
        out.append(s.feed(data[i:i + step]).coefficients)
    if end:
        out.append(s.end().coefficients)
    return np.concatenate(out)


def lips(clips: list[Clip], lookaheads: list[float]) -> dict[str, dict]:
    res = {"offline": pool([score(emoface_curves(c, "free")[0], FPS, c.truth) for c in clips])}
    for la in lookaheads:
        rows = [score(stream_coefficients(c.audio.mono(ANALYSIS_RATE), la), FPS, c.truth) for c in clips]
        res[f"stream {la * 1000:.0f} ms"] = pool(rows)
    # Warm: one stream, the clips one after another with a second of silence.
    la = 0.1
    gap = np.zeros(ANALYSIS_RATE, np.float32)
    signals = [c.audio.mono(ANALYSIS_RATE) for c in clips]
    whole = np.concatenate([np.concatenate([x, gap]) for x in signals])
    coeffs = stream_coefficients(whole, la)
    rows, start = [], 0
    for c, x in zip(clips, signals):
        a = int(round(start / ANALYSIS_RATE * FPS))
        n = int(round(len(x) / ANALYSIS_RATE * FPS))
        rows.append(score(coeffs[a:a + n], FPS, c.truth))
        start += len(x) + len(gap)
    res[f"stream {la * 1000:.0f} ms, warm"] = pool(rows)
    return res


def latency(signal: np.ndarray, configs: list[tuple[float, float]], busy: bool = False
            ) -> list[tuple[float, float, float, float, float, int]]:
    """(fps, chunk, p50, p95, max, frames) per config; with ``busy``, while the
    same server renders a video job of the same speech, ten times over."""
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from support.server import Server  # the tests' real-server helper

    sys.path.insert(0, str(ROOT / "examples"))
    from stream_client import stream

    data, rows = pcm16(signal), []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp)).start()
        job = _render_job(server, np.tile(signal, 10), Path(tmp)) if busy else None
        for fps, chunk in configs:
            url = server.url.replace("http", "ws") + f"/v1/stream?fps={fps:g}"
            step = int(chunk * ANALYSIS_RATE) * 2
            chunks = [data[i:i + step] for i in range(0, len(data), step)]
            before = server.call("GET", f"/v1/jobs/{job}")[1] if job else None
            _, gaps = asyncio.run(stream(url, chunks, chunk))
            ms = np.array(gaps) * 1000
            rows.append((fps, chunk, float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), float(ms.max()),
                         len(ms)))
            load = ""
            if job:
                after = server.call("GET", f"/v1/jobs/{job}")[1]
                if not (before["state"] == after["state"] == "running" and after["progress"] > before["progress"]):
                    raise RuntimeError(f"the video job was not rendering all through the stream: {before} {after}")
                load = f" (while a video job rendered {before['progress']:.0%} -> {after['progress']:.0%})"
            print(f"latency {fps:g} fps, {chunk * 1000:.0f} ms chunks{load}: p50 {rows[-1][2]:.0f} ms, "
                  f"p95 {rows[-1][3]:.0f} ms, max {rows[-1][4]:.0f} ms over {len(ms)} frames", flush=True)
        server.stop()
    return rows


def _render_job(server, speech: np.ndarray, folder: Path) -> str:
    """Submit a video job (the demo portrait saying ``speech``) and return
    its id once it is drawing frames."""
    import io

    import skimage.data
    from PIL import Image

    from emoface.media.audio import Audio

    image = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(image, "PNG")
    Audio(speech[:, None], ANALYSIS_RATE).write_wav(folder / "speech.wav")
    code, body = server.call("POST", "/v1/videos", {}, {"image": ("astronaut.png", image.getvalue()),
                                                        "audio": ("speech.wav", (folder / "speech.wav").read_bytes())})
    assert code == 202, body
    for _ in range(1200):
        job = server.call("GET", f"/v1/jobs/{body['id']}")[1]
        if job["state"] != "queued" and (job["state"] != "running" or job["progress"] > 0):
            break
        time.sleep(0.1)
    assert job["state"] == "running", job
    return body["id"]


def table(title: str, res: dict[str, dict]) -> list[str]:
    out = [f"**{title}** ({res['offline']['bilabials']} bilabials)", "",
           "| | bilabials closed | open vowels opened | pauses closed | openness r | offset ms |",
           "|---|---|---|---|---|---|"]
    for name, r in res.items():
        out.append(f"| {name} | {r['bilabial_closed']:.2f} | {r['open_vowel_opened']:.2f} | "
                   f"{r['silence_closed']:.2f} | {r['openness_r']:.2f} | {r['offset_ms']:+.0f} |")
    return out + [""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="Piper clips only, no latency run, no docs")
    ap.add_argument("--latency", action="store_true", help="the latency run only, no docs")
    args = ap.parse_args()
    if args.latency:
        signal = np.concatenate([c.audio.mono(ANALYSIS_RATE) for c in piper_clips()[:2]])
        latency(signal, [(25.0, 0.02)])
        latency(signal, [(25.0, 0.02), (25.0, 0.1)], busy=True)
        return
    lookaheads = [0.06, 0.1, 0.15]
    sets = {"Piper": piper_clips}
    if not args.quick:
        sets |= {"espeak-ng": espeak_clips, "LibriVox (real recordings)": librivox_clips}
    lines = [MARK, "", f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}; 25 fps, 20 ms chunks.", ""]
    piper = None
    for title, make in sets.items():
        clips = make()
        piper = piper if piper is not None else clips
        res = lips(clips, lookaheads)
        lines += table(title, res)
        print("\n".join(table(title, res)), flush=True)
    if args.quick:
        return
    signal = np.concatenate([c.audio.mono(ANALYSIS_RATE) for c in piper[:4]])
    configs = [(fps, chunk) for fps in (25.0, 30.0, 60.0) for chunk in (0.02, 0.05, 0.1)]
    rows = [("idle", *r) for r in latency(signal, configs)]
    rows += [("one video job rendering", *r) for r in latency(signal, [(25.0, 0.02), (25.0, 0.1)], busy=True)]
    lines += ["**Latency**: from a chunk's arrival at the server to the arrival at the client of the "
              f"frames showing its moments (real server on localhost, {len(signal) / ANALYSIS_RATE:.0f} s "
              "of speech sent in real time, look-ahead 100 ms); idle, and while the same server renders a "
              "video job (the demo portrait saying the same speech ten times over) in its job process.", "",
              "| server | fps | chunk | p50 | p95 | max | frames |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {state} | {fps:g} | {chunk * 1000:.0f} ms | {p50:.0f} ms | {p95:.0f} ms | {top:.0f} ms | {n} |"
              for state, fps, chunk, p50, p95, top, n in rows]
    text = DOC.read_text()
    head = text.split(MARK)[0]
    DOC.write_text(head + "\n".join(lines) + "\n")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    assert len(ARKIT_NAMES) == 52
    main()
