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

import contextlib
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lipsync_eval import librivox_clips, piper_clips  # noqa: E402

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


@contextlib.contextmanager
def served_astronaut():
    """A real ``emoface serve`` (the tests' helper) holding the astronaut as
    a live portrait: its WebSocket URL, ``/v1/live?portrait=<id>``."""
    import tempfile

    import cv2
    import skimage.data

    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "examples"))
    from live_client import upload
    from support.server import Server

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "astronaut.png"
        cv2.imwrite(str(photo), skimage.data.astronaut()[..., ::-1])
        server = Server(Path(tmp) / "data").start()
        try:
            yield server.url.replace("http", "ws") + f"/v1/live?portrait={upload(server.url, photo)}"
        finally:
            server.stop()


def over_the_network(seconds: float = 60.0, size: int = 512) -> dict[str, float]:
    """The same speech through a real ``emoface serve`` (WebSocket /v1/live,
    JPEG frames) and the example client: frames received, their rate as they
    arrived, latency from the chunk holding a frame's moment to the frame's
    arrival, and the longest wait between two frames."""
    import asyncio

    sys.path.insert(0, str(ROOT / "examples"))
    from live_client import talk

    clips = piper_clips()
    signal = np.concatenate([c.audio.mono(RATE) for c in clips])
    signal = np.tile(signal, int(np.ceil(seconds * RATE / len(signal))))[: int(seconds * RATE)]
    data, step = pcm16(signal), int(CHUNK_S * RATE) * 2
    with served_astronaut() as url:
        frames, gaps, arrivals = asyncio.run(talk(f"{url}&size={size}",
                                                  [data[i:i + step] for i in range(0, len(data), step)], CHUNK_S))
    lat = 1000 * np.array(gaps)
    between = 1000 * np.diff(arrivals)
    return {"frames": len(frames), "expected": round(seconds * 25), "size": size,
            "fps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
            "latency_p50": float(np.percentile(lat, 50)), "latency_p95": float(np.percentile(lat, 95)),
            "gap_max": float(between.max()), "gap_p99": float(np.percentile(between, 99))}


#: Lips read back by the tracker: closed under this share of the mouth's
#: width, open over that share (a real "ah" parts the lips by a fifth or more
#: of the mouth's width; closed lips by a pixel or two).
CLOSED_SHARE, OPEN_SHARE = 0.06, 0.15
#: The lip-sync sentences the live mouth was tuned on; the rest are reported.
TUNED = range(0, 5)


def spoken_frames(clip, lead_s: float = 0.5, lookahead: float | None = None, offline: bool = False,
                  server: str | None = None):
    """The astronaut saying ``clip`` after ``lead_s`` of silence: a new
    LiveSession's frames (20 ms chunks), or with ``offline`` the frames of a
    video of the same audio (the whole clip decoded at once), or with
    ``server`` (a live WebSocket URL) the JPEG frames a real server sent
    back, the speech sent at speaking pace; and the photo."""
    import skimage.data

    from emoface.media.audio import Audio
    from emoface.pipeline import make_track

    live = LiveSession(skimage.data.astronaut(), **({} if lookahead is None else {"lookahead": lookahead}))
    data = pcm16(np.concatenate([np.zeros(int(lead_s * RATE), np.float32), clip.audio.mono(RATE)]))
    if offline:
        track = make_track(Audio((np.frombuffer(data, np.int16)[:, None] / 32768.0).astype(np.float32), RATE),
                           baseline=live.renderer.baseline)  # as a video is made: the photo kept
        return [live.renderer.render(c, p) for c, p in zip(track.coefficients, track.pose)], live.renderer.photo
    step = int(CHUNK_S * RATE) * 2
    if server:
        import asyncio

        import cv2

        sys.path.insert(0, str(ROOT / "examples"))
        from live_client import talk

        chunks = [data[i:i + step] for i in range(0, len(data), step)]
        frames = asyncio.run(talk(server, chunks, CHUNK_S))[0]
        return ([cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)[..., ::-1] for _, _, jpeg, _ in frames],
                live.renderer.photo)
    frames = [f for i in range(0, len(data), step) for f in live.push_audio(data[i:i + step])]
    return [f.image for f in frames + live.end()], live.renderer.photo


def live_lips(clips, lead_s: float = 0.5, lookahead: float | None = None, offline: bool = False,
              within: int = 0, server: str | None = None) -> dict[str, float]:
    """Each clip spoken into a new LiveSession (:func:`spoken_frames`); the
    frames read back by the tracker against the exact phone times:
    bilabials closed, open vowels ("aa", "O", 60 ms or longer) opened, as
    shares of the mouth's width. ``offline``: the video of the same audio,
    the ceiling. ``within``: frames either side of a phone that count as its
    own (1: within 40 ms at 25 fps, as picture and sound may be apart).
    ``server``: the frames through a real server (:func:`spoken_frames`)."""
    from emoface.drivers.lipsync.coarticulation import segment_frames
    from emoface.face.tracker import FaceTracker

    closed, opened = [], []
    with FaceTracker(max_faces=1) as tracker:
        for clip in clips:
            images, _ = spoken_frames(clip, lead_s, lookahead, offline, server)
            share = []
            for image in images:
                p = tracker.track(image)[0].landmarks
                share.append(np.linalg.norm(p[13, :2] - p[14, :2]) / np.linalg.norm(p[61, :2] - p[291, :2]))
            share = np.array(share)
            for seg in clip.truth:
                at = segment_frames(seg.start + lead_s, seg.end + lead_s, 25.0, len(share))
                if not len(at):
                    continue
                near = np.arange(max(at[0] - within, 0), min(at[-1] + within + 1, len(share)))
                if seg.viseme == "PP":
                    closed.append(bool(share[near].min() < CLOSED_SHARE))
                elif seg.viseme in ("aa", "O") and seg.end - seg.start >= 0.06:
                    opened.append(bool(share[near].max() > OPEN_SHARE))
    return {"bilabials": len(closed), "closed": float(np.mean(closed)), "vowels": len(opened),
            "opened": float(np.mean(opened))}


def live_and_offline_look(clips, every: int = 5) -> dict[str, float]:
    """dlib's identity distance, on every ``every``-th frame: live to the
    offline video of the same audio (same frame), and each to the photo."""
    from judges import identity_descriptor

    descriptor = identity_descriptor()
    between, live_photo, offline_photo = [], [], []
    for clip in clips:
        live, photo = spoken_frames(clip)
        offline, _ = spoken_frames(clip, offline=True)
        own = descriptor(photo)
        for a, b in zip(live[::every], offline[::every]):
            da, db = descriptor(a), descriptor(b)
            if da is None or db is None:
                continue
            between.append(np.linalg.norm(da - db))
            live_photo.append(np.linalg.norm(da - own))
            offline_photo.append(np.linalg.norm(db - own))
    return {"frames": len(between), "between": float(np.mean(between)), "between_max": float(np.max(between)),
            "live_photo": float(np.mean(live_photo)), "offline_photo": float(np.mean(offline_photo))}


def encode_costs(frames: int = 250) -> dict[str, float]:
    """What sending a drawn 512 px frame costs on top of drawing it: JPEG
    (quality 80, the WebSocket's) and VP8 (aiortc's encoder, WebRTC's), per
    frame, on a second of the astronaut speaking."""
    import skimage.data
    from aiortc.codecs.vpx import Vp8Encoder

    from emoface.app.webrtc import video_frame
    from emoface.live import jpeg

    clip = piper_clips()[0]
    live = LiveSession(skimage.data.astronaut())
    data, step = pcm16(clip.audio.mono(RATE)), int(CHUNK_S * RATE) * 2
    images = [f.image for i in range(0, len(data), step) for f in live.push_audio(data[i:i + step])]
    images = (images * (frames // len(images) + 1))[:frames]
    t0 = time.perf_counter()
    for im in images:
        jpeg(im, 80)
    t1 = time.perf_counter()
    vp8 = Vp8Encoder()
    for k, im in enumerate(images):
        vp8.encode(video_frame(im, k, live.fps))
    t2 = time.perf_counter()
    return {"jpeg_ms": 1000 * (t1 - t0) / frames, "vp8_ms": 1000 * (t2 - t1) / frames}


def in_chromium(transport: str, seconds: float = 20.0) -> dict[str, float]:
    """The page's Live tab in headless Chromium, its fake microphone playing
    LibriVox sentences (a second of silence first): frames as they arrived,
    latency from the speech a frame shows being sent to the frame's arrival
    (over WebRTC, estimated from the frames' RTP clock and the moment the
    connection opened), and how long after the first word was said the
    frame showing it arrived (WebSocket)."""
    import json
    import subprocess
    import tempfile
    import urllib.request

    import soundfile as sf

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import LIBRIVOX
    from support.server import start_page

    with tempfile.TemporaryDirectory() as tmp:
        parts, rate = [np.zeros(16000, np.int16)], 16000
        for wav in sorted(LIBRIVOX.glob("*.wav")):
            parts.append(sf.read(wav, dtype="int16")[0])
        speech = np.concatenate(parts)[: int(seconds * rate)]
        loud = np.flatnonzero(np.abs(speech.astype(float)) > 0.1 * np.abs(speech).max())
        first_word = loud[0] / rate
        wav = Path(tmp) / "spoken.wav"
        sf.write(wav, speech, rate)
        page, url = start_page(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            run = subprocess.run(["node", str(ROOT / "tests" / "live_browser.js"), url,
                                  str(wav), transport, str(seconds), str(Path(tmp) / "shot.png")],
                                 capture_output=True, text=True, timeout=seconds + 120)
        finally:
            page.terminate()
            page.wait(20)
    live = json.loads(run.stdout.strip().splitlines()[-1])["live"]
    frames = live["frames"]
    arrival = np.array([f["arrival"] for f in frames])
    if transport == "websocket":
        index = np.array([f["index"] for f in frames])
        lat = np.array([f["arrival"] - f["sentAt"] for f in frames if f["sentAt"] is not None])
        word = next(f for f in frames if (f["index"] + 1) / 25 >= first_word)
        first = word["arrival"] - (live["voiceStart"] + 1000 * first_word)
    else:
        index = np.array([(f["rtp"] - frames[0]["rtp"]) / 3600 for f in frames])
        lat = arrival - (live["connectedAt"] + 40 * (index + 1))
        first = live["firstFrameAt"] - live["connectedAt"]
    return {"frames": len(frames), "expected": int(index[-1] + 1),
            "fps": 1000 * index[-1] / (arrival[-1] - arrival[0]),
            "latency_p50": float(np.percentile(lat, 50)), "latency_p95": float(np.percentile(lat, 95)),
            "first": float(first)}


def lips_rows() -> list[str]:
    """docs/live.md's lips table: the Piper sentences the live mouth was
    tuned on and held-out ones (truth: the TTS's own phone times), and real
    held-out speech (LibriVox; truth: forced alignment), that last through a
    real server at speaking pace; each beside the offline video of the same
    audio, on the phone's own frame and within one frame."""
    clips = piper_clips()
    sets = [("Piper, tuned on (5)", [c for i, c in enumerate(clips) if i in TUNED], False),
            ("Piper, held out (5)", [c for i, c in enumerate(clips) if i not in TUNED], False),
            ("LibriVox, held out (5), through the server", librivox_clips(), True)]
    rows = ["| speech | drawn by | bilabials closed (on the frame / within 40 ms) | open vowels opened "
            "(on the frame / within 40 ms) |", "|---|---|---|---|"]
    with served_astronaut() as url:
        for name, these, through in sets:
            for how, kw in (("live session", {"server": url if through else None}), ("offline video",
                                                                                    {"offline": True})):
                a, b = live_lips(these, **kw), live_lips(these, within=1, **kw)
                rows.append(f"| {name} | {how} | {a['closed']:.2f} / {b['closed']:.2f} of {a['bilabials']} | "
                            f"{a['opened']:.2f} / {b['opened']:.2f} of {a['vowels']} |")
    return rows


def main() -> None:
    r = run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
    n = over_the_network(r["seconds"])
    enc = encode_costs()
    pages = {t: in_chromium(t) for t in ("websocket", "webrtc")}
    lips = lips_rows()
    look = live_and_offline_look([c for i, c in enumerate(piper_clips()) if i not in TUNED])
    lines = [MARK, "", f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"the astronaut portrait (512 px), {r['fps']:g} fps, {CHUNK_S * 1000:.0f} ms chunks pushed in real time, "
             f"look-ahead 100 ms, {r['seconds']:.0f} s of speech ({r['frames']} frames).", "",
             "| motion and drawing, per frame | p50 | p95 |", "|---|---|---|",
             f"| cost | {r['cost_p50']:.1f} ms | {r['cost_p95']:.1f} ms |",
             f"| latency (chunk in to frame out) | {r['latency_p50']:.0f} ms | {r['latency_p95']:.0f} ms |", "",
             f"Chunks that could not be taken when due (the session fell behind): {r['late_chunks']}.", "",
             f"Sending a frame costs {enc['jpeg_ms']:.1f} ms more as a JPEG (the WebSocket's, quality 80) or "
             f"{enc['vp8_ms']:.1f} ms as VP8 (WebRTC, aiortc's encoder), 512 px: drawing and sending stay "
             f"within the 40 ms a frame lasts at 25 fps.", "",
             f"Over the network: the same speech through `emoface serve` (WebSocket `/v1/live`, "
             f"{n['size']} px JPEG frames) and `examples/live_client.py` on the same machine.", "",
             "| through the server | figure |", "|---|---|",
             f"| frames received | {n['frames']} of {n['expected']} |",
             f"| rate as they arrived | {n['fps']:.1f} a second |",
             f"| latency (chunk sent to frame received), p50 / p95 | {n['latency_p50']:.0f} / "
             f"{n['latency_p95']:.0f} ms |",
             f"| longest wait between two frames (p99, max) | {n['gap_p99']:.0f}, {n['gap_max']:.0f} ms |", "",
             "In the page: the Live tab in headless Chromium (Debian's), its fake microphone playing 20 s of "
             "LibriVox speech after a second of silence, the page on the same machine. Over WebRTC the latency "
             "is estimated from the frames' RTP clock (frame n shows the speech up to (n + 1) / 25 s after the "
             "connection opened).", "",
             "| Live tab | frames | rate | latency p50 / p95 | first frame |", "|---|---|---|---|---|",
             *[f"| {t} | {p['frames']} of {p['expected']} | {p['fps']:.1f} a second | {p['latency_p50']:.0f} / "
               f"{p['latency_p95']:.0f} ms | {p['first']:.0f} ms "
               f"{'after the first word was said' if t == 'websocket' else 'after the connection opened'} |"
               for t, p in pages.items()], "",
             "Lips read back by the face tracker from the frames (a new session for each sentence, half a "
             "second of silence first): the lip-sync evaluation's Piper sentences against the TTS's own phone "
             "times, and the five LibriVox sentences (real speech none of this was tuned on) against their "
             "forced alignment, sent at speaking pace through a real server (WebSocket, JPEG frames). Closed: "
             f"under {CLOSED_SHARE:g} of the mouth's width; open: over {OPEN_SHARE:g}. The offline "
             "video of the same audio (the whole clip heard at once) is the reference: the exact-frame figure "
             "is bounded by how this mouth is timed, not by the live recogniser.", "",
             *lips, "",
             f"Identity (dlib's descriptor distance, every 5th frame of the held-out sentences, {look['frames']} "
             f"frames): live to the offline video of the same audio {look['between']:.2f} on average "
             f"({look['between_max']:.2f} at most; one person is under 0.6); to the photo, live "
             f"{look['live_photo']:.2f} and offline {look['offline_photo']:.2f}."]
    print("\n".join(lines))
    text = DOC.read_text() if DOC.exists() else ""
    DOC.write_text(text.split(MARK)[0] + "\n".join(lines) + "\n")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
