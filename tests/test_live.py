"""The live talking portrait: speech pushed in chunks, frames of the face out."""

import numpy as np
import pytest

from emoface.drivers.lipsync.coarticulation import segment_frames
from emoface.drivers.lipsync.phones import ipa_segments
from emoface.errors import OptionError
from emoface.options import MotionOptions
from emoface.stream import pcm16

FPS = 25.0


@pytest.fixture(scope="module")
def speech():
    from emoface.media.tts import synthesize

    return synthesize("Bob bought a map, and maybe a pink umbrella for his mom.")


@pytest.fixture(scope="module")
def session_frames(astronaut, speech):
    """The astronaut speaking ``speech``, pushed in uneven chunks."""
    from emoface.live import LiveSession

    live = LiveSession(astronaut, MotionOptions(fps=FPS))
    data, frames, i, sizes = pcm16(speech.audio.mono(16000)), [], 0, (640, 322, 1600, 98)
    for k in range(10_000):
        if i >= len(data):
            break
        frames += live.push_audio(data[i:i + sizes[k % 4]])
        i += sizes[k % 4]
    return data, frames + live.end()


@pytest.mark.slow
def test_every_frame_comes_once_with_its_own_speech(astronaut, speech, session_frames):
    data, frames = session_frames
    assert [f.index for f in frames] == list(range(round(speech.audio.duration * FPS)))
    assert all(f.image.shape == astronaut.shape and f.image.dtype == np.uint8 for f in frames)
    np.testing.assert_allclose([f.time for f in frames], np.arange(len(frames)) / FPS)
    # Each frame plays its own 1/25 s of the speech: together, the speech as pushed.
    assert {len(f.audio) for f in frames} == {2 * 640}
    joined = b"".join(f.audio for f in frames)
    assert joined[:len(data)] == data[:len(joined)] and not any(joined[len(data):])


@pytest.mark.slow
def test_the_live_face_closes_its_lips_on_p_b_m_as_the_tracker_sees_it(speech, session_frames):
    """Read back from the live frames by the tracker, not from the motion."""
    from emoface.face.tracker import FaceTracker

    _, frames = session_frames
    with FaceTracker(max_faces=1) as tracker:
        gaps = []
        for f in frames:
            p = tracker.track(f.image)[0].landmarks
            gaps.append(np.linalg.norm(p[13, :2] - p[14, :2]) / np.linalg.norm(p[78, :2] - p[308, :2]))
    gaps = np.array(gaps)
    segs = ipa_segments(speech.phones)
    frames_of = [segment_frames(s.start, s.end, FPS, len(gaps)) for s in segs]
    closed = [gaps[f].min() for s, f in zip(segs, frames_of) if s.viseme == "PP" and len(f)]
    opened = [gaps[f].max() for s, f in zip(segs, frames_of) if s.viseme in ("aa", "O", "E") and len(f)]
    assert len(closed) >= 6 and len(opened) >= 4
    # Lips meet (a gap under a third of the vowels' typical one) on 10 of the
    # 12 bilabials; the first "B", spoken before the recogniser has heard
    # anything, is the one a cold stream misses.
    assert np.mean(np.array(closed) < np.median(opened) / 3) >= 0.8, (closed, opened)


@pytest.mark.slow
def test_silence_idles_and_an_emotion_eases_in(astronaut):
    from emoface.live import LiveSession

    live = LiveSession(astronaut, MotionOptions(fps=FPS, blinks_per_minute=60))
    still = live.idle(3.0)
    assert len(still) >= 70 and all(not any(f.audio) for f in still)
    moves = [np.abs(f.image.astype(int) - still[0].image.astype(int)) for f in still]
    assert max(m.max() for m in moves) > 60  # a blink: never a frozen picture
    live.set_emotion("sad", 1.0)
    sad = live.idle(2.0)
    first, last = sad[0].image.astype(int), sad[-1].image.astype(int)
    assert np.abs(last - first).mean() > np.abs(sad[1].image.astype(int) - first).mean() * 3  # eased, not a jump


def test_a_bad_option_fails_before_the_portrait_is_read():
    from emoface.live import LiveSession

    with pytest.raises(OptionError, match="lookahead"):
        LiveSession("no-such-file.jpg", lookahead=5.0)


def test_a_portrait_that_cannot_be_read_is_one_clear_error(tmp_path):
    from emoface.errors import InputError
    from emoface.live import LiveSession

    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(InputError, match="notes.jpg"):
        LiveSession(tmp_path / "notes.jpg")


# --- through a real server ----------------------------------------------------

@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from support.server import Server

    srv = Server(tmp_path_factory.mktemp("live"), "--live-sessions", "1").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def portrait_id(live_server, astronaut):
    import cv2

    png = cv2.imencode(".png", astronaut[..., ::-1])[1].tobytes()
    code, body = live_server.call("POST", "/v1/portraits", {}, {"image": ("me.png", png)})
    assert code == 200, body
    return body["portrait"]


async def _live(url, messages, pace: float = 0.0):
    """Send ``messages`` (``pace`` seconds apart); the frames and errors that came back, and the close."""
    import asyncio
    import json

    import websockets

    frames, errors = [], []
    async with websockets.connect(url, max_size=None) as ws:
        async def read():
            try:
                async for reply in ws:
                    if isinstance(reply, bytes):
                        frames.append(reply)
                    elif "error" in json.loads(reply):
                        errors.append(json.loads(reply)["error"])
            except websockets.ConnectionClosed:
                pass

        reader = asyncio.create_task(read())
        for m in messages:
            await ws.send(m)
            await asyncio.sleep(pace)
        await reader
        return frames, errors, ws.close_code, ws.close_reason


@pytest.mark.slow
def test_the_service_draws_a_live_portrait_and_answers_bad_chunks(live_server, portrait_id, speech):
    import asyncio
    import json

    import cv2

    from emoface.live import read_frame_message

    data = pcm16(speech.audio.mono(16000))
    chunks = [data[i:i + 3200] for i in range(0, len(data), 3200)]  # 100 ms
    messages = (chunks[:5] + [b"\x00" * 3, json.dumps({"emotion": "happy", "intensity": 0.8})] + chunks[5:]
                + [json.dumps({"end": True})])
    url = live_server.url.replace("http", "ws") + f"/v1/live?portrait={portrait_id}&size=384&fps=25"
    frames, errors, code, _ = asyncio.run(_live(url, messages))
    assert code == 1000 and len(errors) == 1 and "16-bit" in errors[0]  # the bad chunk: said, and on it goes
    parsed = [read_frame_message(f) for f in frames]
    assert [p[0] for p in parsed] == list(range(round(speech.audio.duration * FPS)))
    assert {len(p[3]) for p in parsed} == {2 * 640}  # each frame with its own 40 ms of speech
    joined = b"".join(p[3] for p in parsed)
    assert joined[:len(data)] == data[:len(joined)]
    image = cv2.imdecode(np.frombuffer(parsed[10][2], np.uint8), cv2.IMREAD_COLOR)
    assert max(image.shape[:2]) == 384


@pytest.mark.slow
def test_the_service_refuses_a_second_live_session_and_unknown_portraits(live_server, portrait_id):
    import asyncio
    import json

    base = live_server.url.replace("http", "ws") + "/v1/live"
    _, _, code, reason = asyncio.run(_live(base + "?portrait=" + "0" * 32, []))
    assert code == 1008 and "POST /v1/portraits" in reason
    _, _, code, reason = asyncio.run(_live(base + f"?portrait={portrait_id}&size=100", []))
    assert code == 1008 and "size 100" in reason

    async def two():
        import websockets

        async with websockets.connect(base + f"?portrait={portrait_id}", max_size=None) as first:
            await first.send(b"\x00" * 16000)
            await first.recv()  # the first session is drawing
            second = await _live(base + f"?portrait={portrait_id}", [])
            await first.send(json.dumps({"end": True}))
            try:
                async for _ in first:  # its last frames, then the server's close: the seat is free
                    pass
            except websockets.ConnectionClosed:
                pass
            return second

    _, _, code, reason = asyncio.run(two())
    assert code == 1013 and "try again later" in reason
    # A photo without a face is refused when it is uploaded, by the name the client gave it.
    code, body = live_server.call("POST", "/v1/portraits", {}, {"image": ("notes.png", b"just text")})
    assert code == 422 and "notes.png" in body["detail"]


@pytest.mark.slow
def test_a_silent_client_is_dropped_and_its_seat_freed(live_server, portrait_id):
    import asyncio
    import time

    url = live_server.url.replace("http", "ws") + f"/v1/live?portrait={portrait_id}"
    start = time.monotonic()
    _, _, code, reason = asyncio.run(_live(url, [b"\x00" * 640]))
    assert code == 1001 and "send silence" in reason and time.monotonic() - start < 8
    frames, _, code, _ = asyncio.run(_live(url, [b"\x00" * 32000, '{"end": true}']))
    assert code == 1000 and len(frames) == 25  # the seat is free again


@pytest.mark.slow
def test_the_example_client_talks_a_portrait_live_and_keeps_what_came_back(live_server, speech, tmp_path):
    """examples/live_client.py: upload, speech at speaking pace, the frames
    and their speech back as an mp4 of the speech's length."""
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    from emoface.media.audio import load_audio

    root = Path(__file__).resolve().parents[1]
    photo, wav, out = tmp_path / "me.png", tmp_path / "speech.wav", tmp_path / "live.mp4"
    import skimage.data

    Image.fromarray(skimage.data.astronaut()).save(photo)
    speech.audio.write_wav(wav)
    run = subprocess.run([sys.executable, str(root / "examples" / "live_client.py"), str(photo), str(wav),
                          "--url", live_server.url, "--size", "256", "--out", str(out)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "latency" in run.stdout and "a second as they arrived" in run.stdout
    assert abs(load_audio(out).duration - speech.audio.duration) < 0.1
    bad = subprocess.run([sys.executable, str(root / "examples" / "live_client.py"), str(photo),
                          str(tmp_path / "nope.wav"), "--url", live_server.url], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 1 and "nope.wav" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("query, message", [({"size": "big"}, "size='big' is not an integer"),
                                             ({"quality": "10"}, "quality 10 is out of range"),
                                             ({"size": "512", "emotion": "furious"}, "unknown emotion 'furious'")])
def test_a_live_sessions_bad_options_are_named_as_sent(query, message):
    from emoface.live import live_options

    with pytest.raises(OptionError, match=message):
        live_options(query)


def _frames_of(messages):
    """The frame messages' pictures (RGB) and indices."""
    import cv2

    from emoface.live import read_frame_message

    parsed = [read_frame_message(m) for m in messages]
    return [p[0] for p in parsed], [cv2.imdecode(np.frombuffer(p[2], np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
                                    for p in parsed]


@pytest.mark.slow
def test_ten_seconds_of_silence_through_the_server_blink_and_breathe(live_server, portrait_id):
    """Nobody speaking: the face on the wire blinks and breathes, as the
    tracker reads it back (the lids' gap; the face's rise and fall)."""
    import asyncio

    from emoface.face.tracker import FaceTracker

    url = live_server.url.replace("http", "ws") + f"/v1/live?portrait={portrait_id}&size=384"
    silence = [b"\x00" * 3200] * 100  # 10 s, 100 ms a message
    messages, errors, code, _ = asyncio.run(_live(url, silence + ['{"end": true}']))
    indices, images = _frames_of(messages)
    assert code == 1000 and not errors and indices == list(range(250))
    with FaceTracker(max_faces=1) as tracker:
        seen = [tracker.track(im)[0].landmarks for im in images]
    # The lids' gap (upper to lower, both eyes; MediaPipe's points): the
    # tracker's eyeBlink score reads a drawn blink at about half.
    lids = np.array([(p[145, 1] - p[159, 1] + p[374, 1] - p[386, 1]) / 2 for p in seen])
    rise = np.array([p[:, 1].mean() for p in seen])
    shut = lids < 0.4 * np.median(lids)
    assert 1 <= np.sum(np.diff(shut.astype(int)) == 1) <= 8, lids  # eyes open, closing now and then
    # Breath and sway: the face rises and falls slowly (under 0.6 Hz; the
    # breath lifts the head 4 mm, about a pixel at this size), never frozen
    # and never jittering.
    power = np.abs(np.fft.rfft(rise - rise.mean()))
    hz = np.fft.rfftfreq(len(rise), 1 / 25)
    assert np.ptp(rise) > 0.5 and power[(hz > 0.05) & (hz < 0.6)].sum() > 1.5 * power[(hz > 1) & (hz < 5)].sum()


def test_a_busy_machine_draws_fewer_frames_and_keeps_the_voice_in_sync(astronaut, monkeypatch):
    """A drawing that takes 30 ms of a 40 ms frame (on a clock of the
    test's own, so the machine's speed does not matter): every second frame
    is drawn (said once), every frame still comes with its own speech."""
    import types

    import emoface.live
    from emoface.live import LiveSession

    live = LiveSession(astronaut, MotionOptions(fps=FPS, blinks_per_minute=0))
    clock = [0.0]
    monkeypatch.setattr(emoface.live, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    draw = live.renderer.render

    def slow(*args):
        clock[0] += 0.03
        return draw(*args)

    monkeypatch.setattr(live.renderer, "render", slow)
    tone = (3000 * np.sin(np.arange(16000 * 4) * 0.05)).astype(np.int16).tobytes()
    frames = live.push_audio(tone)
    notices = live.notices()
    assert len(notices) == 1 and "drawing 12.5" in notices[0] and not live.notices()
    assert live.load.every == 2
    assert [f.index for f in frames] == list(range(len(frames)))
    assert {len(f.audio) for f in frames} == {2 * 640}
    assert b"".join(f.audio for f in frames) == tone[:2 * 640 * len(frames)]
    late = frames[-20:]  # drawn in pairs: each picture shown twice
    assert sum(a.image is b.image for a, b in zip(late, late[1:])) >= 9


def test_the_load_gives_up_frames_one_step_at_a_time_and_only_when_warm():
    from emoface.live import Load

    load = Load()
    assert not any(load.drawn(0.035, 0.04) for _ in range(Load.WARM_UP - 1))  # warming up: no judgement
    assert load.drawn(0.035, 0.04) and load.every == 2  # 35 of 40 ms: over 60 %
    assert not any(load.drawn(0.035, 0.04) for _ in range(50)) and load.every == 2  # 35 of 80 ms: fine
    assert any(load.drawn(0.06, 0.04) for _ in range(50)) and load.every == 3
    assert not any(load.drawn(1.0, 0.04) for _ in range(50)) and load.every == 3  # never past ``most``


@pytest.fixture(scope="module")
def offer_client():
    """Talks to /v1/live/offer as a browser would, with aiortc: an audio
    track in (``wav`` paced in real time, or silence), the video back."""
    import asyncio
    import json
    import urllib.error
    import urllib.request

    from aiortc import RTCPeerConnection, RTCSessionDescription
    from support.webrtc import collect, spoken_track

    def post(url, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(url, data, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    async def call(url, pcm: bytes, seconds: float, audio: bool = True, said: list | None = None):
        """... and ``said``: messages sent on a data channel once frames
        come; what came back on it is put in their place."""
        pc = RTCPeerConnection()
        if audio:
            pc.addTrack(spoken_track(pcm))
        pc.addTransceiver("video", direction="recvonly")
        got, arrived = [], asyncio.Event()
        collect(pc, got, first=arrived)
        channel, replies = pc.createDataChannel("control"), []
        channel.on("message", replies.append)

        await pc.setLocalDescription(await pc.createOffer())
        code, answer = await asyncio.to_thread(post, url, {"sdp": pc.localDescription.sdp, "type": "offer"})
        if code == 200:
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
            await asyncio.wait_for(arrived.wait(), 30)
            for message in said or []:
                channel.send(message)
            await asyncio.sleep(seconds)
        await pc.close()
        if said is not None:
            said[:] = [json.loads(r) for r in replies]
        return code, answer, [g[1] for g in got]

    return (lambda url, pcm=b"", seconds=2.0, audio=True, said=None: asyncio.run(call(url, pcm, seconds, audio, said)),
            post)


@pytest.mark.slow
def test_webrtc_offer_gives_the_talking_portrait_as_video(live_server, portrait_id, speech, offer_client):
    call, post = offer_client
    url = live_server.url + f"/v1/live/offer?portrait={portrait_id}&size=256"
    code, answer, got = call(url, pcm16(speech.audio.mono(16000)), seconds=speech.audio.duration)
    assert code == 200 and answer["type"] == "answer", answer
    assert len(got) >= 0.8 * FPS * speech.audio.duration and max(got[5].shape[:2]) == 256
    # Talking: the mouth changes between frames (the portrait alone would be still there).
    mouth = [g[150:200, 100:160].astype(int) for g in got]
    assert max(np.abs(m - mouth[0]).mean() for m in mouth) > 3
    # Refusals, as the WebSocket's, with HTTP's codes.
    assert post(live_server.url + "/v1/live/offer?portrait=" + "0" * 32, {"sdp": "", "type": "offer"})[0] == 422
    code, body = post(live_server.url + f"/v1/live/offer?portrait={portrait_id}", {"sdp": "v=0", "type": "answer"})
    assert code == 422 and '"type": "offer"' in body["detail"]
    code, body = call(url, audio=False)[:2]
    assert code == 422 and "no audio" in body["detail"]
    assert post(url, b"not json")[0] == 422
    # Bad messages on the data channel are answered there, and the session goes on.
    said = ["nonsense", '{"emotion": "furious"}', '{"emotion": "sad", "intensity": 0.5}']
    code, _, got = call(url, seconds=1.5, said=said)
    assert code == 200 and len(said) == 2 and "JSON objects" in said[0]["error"] and "furious" in said[1]["error"]
    assert len(got) >= 0.6 * FPS * 1.5


@pytest.mark.slow
def test_a_neutral_live_face_keeps_the_photos_smile_until_an_emotion_eases_it_away(astronaut):
    """As an offline video does: the smiling astronaut, neutral, still
    smiles (the tracker's reading of her smile stays near the photo's);
    asked for sad, the smile eases away."""
    from emoface.face.tracker import FaceTracker
    from emoface.live import LiveSession
    from emoface.motion import ARKIT_NAMES

    smile = [ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthSmileRight")]
    live = LiveSession(astronaut, MotionOptions(fps=FPS, blinks_per_minute=0))
    calm = live.idle(1.0)
    live.set_emotion("sad", 1.0)
    sad = live.idle(1.5)
    with FaceTracker(max_faces=1) as tracker:
        def read(image):
            return float(tracker.track(image)[0].blendshapes[smile].mean())

        photo = read(live.renderer.photo)
        assert photo > 0.6 and read(calm[-1].image) > photo - 0.15
        easing = [read(f.image) for f in sad[::6]]
        assert easing[-1] < 0.2 and easing[0] > easing[-1] + 0.4  # eased from the smile to none
