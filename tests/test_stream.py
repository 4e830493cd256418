"""The live stream: real Piper speech fed in chunks, as a session and through
a real server's WebSocket."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import sys
from pathlib import Path

import numpy as np
import pytest

from emoface.drivers.lipsync.phones import ipa_segments
from emoface.errors import OptionError
from emoface.motion import ARKIT_NAMES, lip_aperture
from emoface.options import MotionOptions
from emoface.stream import StreamSession, pcm16, stream_options

ROOT = Path(__file__).resolve().parents[1]
from lipsync_eval import SENTENCES
from lipsync_score import pool, score

FPS = 25.0


@pytest.fixture(scope="module")
def speeches():
    from emoface.media.tts import synthesize

    return [synthesize(s) for s in SENTENCES[:4]]


def _pcm(audio) -> bytes:
    return pcm16(audio.mono(16000))


def _feed(session: StreamSession, data: bytes, sizes=(640,), end: bool = True):
    """Feed ``data`` in chunks cycling through ``sizes`` bytes (then end the
    stream); every frame's time, coefficients and pose."""
    out, i, k = [], 0, 0
    while i < len(data):
        out.append(session.feed(data[i:i + sizes[k % len(sizes)]]))
        i, k = i + sizes[k % len(sizes)], k + 1
    if end:
        out.append(session.end())
    return (np.concatenate([o.times for o in out]), np.concatenate([o.coefficients for o in out]),
            np.concatenate([o.pose for o in out]))


def _stream(session: StreamSession, data: bytes, sizes=(640,)) -> tuple[np.ndarray, np.ndarray]:
    return _feed(session, data, sizes)[:2]


@pytest.mark.slow
def test_streamed_lips_close_on_bilabials_and_open_on_vowels(speeches):
    rows = []
    for sp in speeches:
        times, coeffs = _stream(StreamSession(MotionOptions(fps=FPS)), _pcm(sp.audio))
        # Every frame once, in order, up to the end of the audio.
        assert len(times) == round(sp.audio.duration * FPS)
        np.testing.assert_allclose(times, np.arange(len(times)) / FPS)
        rows.append(score(coeffs, FPS, ipa_segments(sp.phones)))
    s = pool(rows)
    assert s["bilabials"] >= 20 and s["bilabial_closed"] >= 0.8
    assert s["open_vowel_opened"] >= 0.8 and s["silence_closed"] >= 0.9
    assert s["openness_r"] > 0.5 and abs(s["offset_ms"]) <= 40


@pytest.mark.slow
def test_chunk_sizes_and_frame_rates_give_every_frame_once(speeches):
    data = _pcm(speeches[0].audio)
    for fps, sizes in ((30.0, (1600, 320, 3200)), (60.0, (960,))):
        session = StreamSession(MotionOptions(fps=fps), lookahead=0.08)
        times, coeffs = _stream(session, data, sizes)
        assert len(times) == round(speeches[0].audio.duration * fps)
        np.testing.assert_allclose(times, np.arange(len(times)) / fps)
        assert coeffs.shape[1] == len(ARKIT_NAMES) and lip_aperture(coeffs).max() > 0.3


def test_emotion_set_mid_stream_eases_in(speeches):
    data = _pcm(speeches[1].audio)
    session = StreamSession(MotionOptions(fps=FPS))
    half = len(data) // 2 & ~1
    _, before, _ = _feed(session, data[:half], end=False)
    session.set_emotion("happy", 1.0)
    session.set_emotion("sad@0.2+happy@0.9")  # a mixture; the newest key wins
    times, after = _stream(session, data[half:])
    smile = [ARKIT_NAMES.index(n) for n in ("mouthSmileLeft", "mouthSmileRight")]
    assert before[:, smile].mean() < 0.05
    assert after[-10:, smile].mean() > before[:, smile].mean() + 0.3
    with pytest.raises(OptionError, match="unknown"):
        session.set_emotion("ecstatic")
    with pytest.raises(OptionError, match="not a label"):
        session.set_emotion("0:happy, 2:sad")


@pytest.mark.slow
def test_silence_keeps_the_mouth_shut_and_the_head_breathing():
    session = StreamSession(MotionOptions(fps=FPS))
    _, coeffs, pose = _feed(session, bytes(16000 * 2 * 6))  # six seconds of digital silence
    assert lip_aperture(coeffs).max() < 0.05
    assert np.ptp(pose[:, 1]) > 0.3  # degrees of pitch: the breath
    blink = coeffs[:, ARKIT_NAMES.index("eyeBlinkLeft")]
    assert blink.max() > 0.8  # the eyes still blink


@pytest.mark.parametrize("values, message", [
    ({"lipsync": "acoustic"}, "acoustic"),
    ({"emotion": "auto"}, "whole speech"),
    ({"emotion": "timeline.json"}, "inline"),
    ({"mouth_from": "speech.mp4"}, "mouth_from"),
    ({"lookahead": "0.01"}, "lookahead"),
    ({"lookahead": "soon"}, "lookahead"),
    ({"seed": "1.5"}, "seed"),
    ({"fps": "fast"}, "fps"),
    ({"colour": "red"}, "unknown option"),
])
def test_options_a_stream_cannot_honour_are_refused(values, message):
    with pytest.raises(OptionError, match=message):
        stream_options(values)


def test_a_streams_errors_name_the_keys_it_was_sent_not_cli_flags():
    def message(call, *args) -> str:
        with pytest.raises(OptionError) as err:
            call(*args)
        return str(err.value)

    messages = [message(stream_options, {"intensity": "5"}), message(stream_options, {"lookahead": "0.01"}),
                message(stream_options, {"emotion": "0:happy, 2:glum"}),
                message(StreamSession().set_emotion, "happy", 5)]
    assert messages[0].startswith("intensity 5 is out of range"), messages
    assert messages[1].startswith("lookahead 0.01 is out of range"), messages
    assert messages[2].startswith("emotion '2:glum': unknown emotion 'glum'"), messages
    assert messages[3].startswith("intensity 5 is out of range"), messages
    assert not [m for m in messages if "--" in m], messages


# --- through a real server ----------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from support.server import Server

    srv = Server(tmp_path_factory.mktemp("stream"), "--api-key", "sesame").start()
    yield srv
    srv.stop()


async def _talk(url, messages, headers=None):
    import websockets

    replies = []
    async with websockets.connect(url, additional_headers=headers or {}, max_size=None) as ws:
        for m in messages:
            await ws.send(m)
        try:
            async for reply in ws:
                replies.append(json.loads(reply))
        except websockets.ConnectionClosed:
            pass
        return replies, ws.close_code, ws.close_reason


@pytest.mark.slow
def test_websocket_streams_frames_and_answers_bad_messages(server, speeches):
    data = _pcm(speeches[2].audio)
    chunks = [data[i:i + 1600] for i in range(0, len(data), 1600)]  # 50 ms
    # An empty buffer first, as microphones and speech engines send at start.
    messages = ([b""] + chunks[:10] + [b"\x00" * 3, "hello", json.dumps({"emotion": "furious"}),
                                      json.dumps({"emotion": "happy", "intensity": 0.8})]
                + chunks[10:] + [json.dumps({"end": True})])
    url = server.url.replace("http", "ws") + "/v1/stream?fps=30"
    replies, code, reason = asyncio.run(_talk(url, messages, {"X-API-Key": "sesame"}))
    errors = [r["error"] for r in replies if "error" in r]
    assert len(errors) == 4 and "empty chunk" in errors[0] and "16-bit" in errors[1]
    assert "JSON" in errors[2] and "furious" in errors[3]
    frames = [f for r in replies for f in r.get("frames", [])]
    assert len(frames) == round(speeches[2].audio.duration * 30)
    assert [f["time"] for f in frames] == pytest.approx(np.arange(len(frames)) / 30, abs=1e-5)
    assert all(len(f["blendshapes"]) == 52 and len(f["pose"]) == 6 for f in frames)
    smile = ARKIT_NAMES.index("mouthSmileLeft")
    assert frames[-1]["blendshapes"][smile] > frames[0]["blendshapes"][smile] + 0.2
    assert code == 1000


def test_websocket_refuses_bad_options_and_a_missing_key(server):
    base = server.url.replace("http", "ws") + "/v1/stream"
    _, code, reason = asyncio.run(_talk(base + "?emotion=auto", [], {"X-API-Key": "sesame"}))
    assert code == 1008 and "whole speech" in reason
    _, code, reason = asyncio.run(_talk(base, []))
    assert code == 1008 and "API key" in reason
    # A long message is cut at a word, within the protocol's 123 bytes, and says where the rest is.
    _, code, reason = asyncio.run(_talk(base + "?colour=red", [], {"X-API-Key": "sesame"}))
    assert code == 1008 and "colour" in reason and len(reason.encode()) <= 123
    assert reason.endswith("(all of it: docs/stream.md)")
    _, code, _ = asyncio.run(_talk(base + "?api_key=sesame", [json.dumps({"end": True})]))
    assert code == 1000


@pytest.mark.slow
def test_example_client_streams_a_wav_and_prints_latency(server, tmp_path, speeches):
    wav = tmp_path / "speech.wav"
    speeches[3].audio.write_wav(wav)
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "stream_client.py"), str(wav),
                          "--url", server.url.replace("http", "ws") + "/v1/stream", "--api-key", "sesame",
                          "--emotion", "happy"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "latency" in run.stdout and "frames" in run.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "examples" / "stream_client.py"), str(tmp_path / "nope.wav"),
                          "--url", server.url], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "nope.wav" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_client_that_dies_mid_stream_leaves_the_server_serving(server, speeches):
    """A browser tab closed or a process killed mid-sentence sends no close
    frame: the server must drop that stream and go on with the next."""
    import base64
    import os
    import socket
    import struct

    data = _pcm(speeches[0].audio)[:16000]
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nX-API-Key: sesame\r\n\r\n").encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 101")
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        sock.sendall(struct.pack("!BBH", 0x82, 0x80 | 126, len(payload)) + mask + payload)
        # ... and the client is gone: no close frame, the socket just ends.
    time.sleep(0.5)
    assert server.proc.poll() is None
    chunks = [_pcm(speeches[2].audio)[i:i + 1600] for i in range(0, 16000, 1600)]
    replies, code, _ = asyncio.run(_talk(server.url.replace("http", "ws") + "/v1/stream",
                                         chunks + [json.dumps({"end": True})], {"X-API-Key": "sesame"}))
    assert code == 1000 and sum(len(r.get("frames", [])) for r in replies) == 12  # 0.5 s at 25 fps


def test_misuse_raises_emofaces_own_errors():
    from emoface.errors import InputError, UsageError
    from emoface.motion import combine, layer_mask

    s = StreamSession()
    with pytest.raises(InputError, match="whole 16-bit samples"):
        s.feed(b"\x00" * 3)
    s.end()
    with pytest.raises(UsageError, match="the stream has ended"):
        s.feed(b"\x00\x00")
    with pytest.raises(OptionError, match="unknown layer"):
        layer_mask("hair")
    with pytest.raises(InputError, match="share shape"):
        combine(np.zeros((3, 52)), np.zeros((4, 52)), np.zeros((3, 52)))
