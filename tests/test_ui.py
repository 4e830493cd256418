"""The web page, driven in headless Chromium as a new user would."""

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port
from support.processes import descendants, wait_gone

HERE = Path(__file__).parent
ROOT = HERE.parent


def _start_page(**popen) -> tuple[subprocess.Popen, str]:
    from support.server import start_page

    try:
        return start_page(**popen)
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not shutil.which("chromium") or not (ROOT / ".cache/node/node_modules/playwright-core").exists():
        pytest.fail("the browser test needs chromium and playwright-core: run `bash scripts/test-media.sh`")
    log = (tmp_path_factory.mktemp("ui") / "server.log").open("w")
    proc, url = _start_page(stdout=log, stderr=subprocess.STDOUT)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.slow
def test_a_new_user_makes_a_video_and_sees_a_bad_upload_explained(server, tmp_path, alsa_wav, portrait_png):
    bad = tmp_path / "notes.png"
    bad.write_text("this is a text file, not a picture")
    shot = tmp_path / "ui.png"
    r = subprocess.run(["node", str(HERE / "ui_browser.js"), server, str(portrait_png), str(alsa_wav), str(bad),
                        str(shot)], capture_output=True, text=True, timeout=400)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "fatal" not in out, out
    # A playable video of the speech's length, and the three downloads.
    assert out["video_src"].endswith(".mp4") and abs(out["video_duration"] - 1.43) < 0.15
    assert sorted(Path(d).suffix for d in out["downloads"]) == [".csv", ".glb", ".mp4"]
    assert out["status"].startswith("Done")
    # The keyframes typed into the table drive the face: neutral, then sad from 0.6 s.
    csv_href = next(d for d in out["downloads"] if d.endswith(".csv"))
    with urllib.request.urlopen(csv_href if csv_href.startswith("http") else server + csv_href) as r:
        lines = r.read().decode().splitlines()
    names = lines[0].split(",")
    rows = [[float(v) for v in ln.split(",")[2:]] for ln in lines[1:]]
    brow = [row[names.index("BrowInnerUp") - 2] for row in rows]
    fps = len(rows) / 1.43
    assert max(brow[: int(0.5 * fps)]) < 0.1 and min(brow[int(1.1 * fps):]) > 0.2, brow
    # The bad upload: one readable line naming it, no traceback.
    assert "notes.png" in out["bad_status"] and "cannot read image" in out["bad_status"]
    assert "Traceback" not in out["bad_status"]
    # Offline: the page asked nothing of any other host.
    assert out["external_requests"] == []
    assert shot.stat().st_size > 50_000
    shutil.copy(shot, ROOT / ".cache" / "ui_screenshot.png")  # for the README's picture



@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory, librivox_wav):
    """A LibriVox sentence between a second of silence each side, for the
    fake microphone; and when its first word starts (s)."""
    import numpy as np
    import soundfile as sf

    speech, rate = sf.read(librivox_wav, dtype="int16")
    loud = np.flatnonzero(np.abs(speech.astype(float)) > 0.1 * np.abs(speech).max())
    path = tmp_path_factory.mktemp("mic") / "spoken.wav"
    sf.write(path, np.concatenate([np.zeros(rate, np.int16), speech, np.zeros(rate, np.int16)]), rate)
    return path, 1.0 + loud[0] / rate


def _live_tab(server, wav, transport, tmp_path, seconds=6, bad=None, source="mic", bad_wav=None):
    """The Live tab spoken to for ``seconds`` (the emotion changed halfway),
    by the fake microphone or (``source="file"``) the wav picked in the tab;
    what the page kept, its face's screenshot, and what it said of ``bad``
    (a portrait) and ``bad_wav`` (speech), in that order."""
    shot = tmp_path / f"live-{transport}.png"
    r = subprocess.run(["node", str(HERE / "live_browser.js"), server, str(wav), transport, str(seconds), str(shot),
                        str(bad or "-"), source, str(bad_wav or "-")], capture_output=True, text=True, timeout=180)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "fatal" not in out and not out["live"]["errors"], out  # the emotion's change was taken
    assert out["live"]["transport"] == transport
    return out["live"], shot, (out.get("bad_status"), out.get("bad_wav_status"))


def _a_face_in(shot):
    from emoface.face.tracker import FaceTracker
    from emoface.media.image import load_image

    with FaceTracker(max_faces=1) as tracker:
        return len(tracker.track(load_image(shot))) == 1


@pytest.mark.slow
def test_the_live_tab_talks_over_the_websocket_with_a_fake_microphone(server, spoken_wav, tmp_path):
    """Chromium's fake microphone plays a sentence into the Live tab: every
    frame arrives once, in order, paced by the voice, each matched to the
    speech it shows, and the face is on the page. (The latency and frame
    rate are measured by benchmarks/live_eval.py: docs/live.md.)"""
    wav, first_word = spoken_wav
    bad = tmp_path / "notes.png"
    bad.write_text("this is a text file, not a picture")
    live, shot, (said, said_of_wav) = _live_tab(server, wav, "websocket", tmp_path, bad=bad, bad_wav=bad)
    frames = live["frames"]
    assert [f["index"] for f in frames] == list(range(len(frames)))
    assert len(frames) >= 50  # of 150 in the 6 s the page listened
    assert sum(f["sentAt"] is not None for f in frames) > 0.9 * len(frames)
    assert any((f["index"] + 1) / 25 >= first_word + 0.5 for f in frames)  # the sentence was heard and shown
    assert _a_face_in(shot)
    # A portrait that is not a picture: one line naming it, on the page.
    assert said.startswith("Could not start") and "notes.png" in said and "Traceback" not in said, said
    # ... and as the speech, played as if spoken.
    assert said_of_wav.startswith("Could not start") and "notes.png: not audio" in said_of_wav, said_of_wav


@pytest.mark.slow
def test_the_live_tab_plays_a_wav_as_if_spoken(server, spoken_wav, tmp_path):
    """No microphone: a wav picked in the tab is spoken into the session."""
    wav, first_word = spoken_wav
    live, shot, _ = _live_tab(server, wav, "websocket", tmp_path, seconds=4, source="file")
    frames = live["frames"]
    assert [f["index"] for f in frames] == list(range(len(frames))) and len(frames) >= 40
    assert any((f["index"] + 1) / 25 >= first_word + 0.5 for f in frames)
    assert _a_face_in(shot)


@pytest.mark.slow
def test_the_live_tab_talks_over_webrtc(server, spoken_wav, tmp_path):
    """The same over WebRTC: the portrait's frames as a 512 px video whose
    RTP clock runs at 25 frames a second, few of them lost."""
    wav, _ = spoken_wav
    live, shot, _ = _live_tab(server, wav, "webrtc", tmp_path)
    frames = live["frames"]
    steps = {(b["rtp"] - a["rtp"]) % 2 ** 32 for a, b in zip(frames, frames[1:])}
    assert len(frames) >= 50 and {f["width"] for f in frames} == {512}
    assert steps and all(s % 3600 == 0 for s in steps)  # 90 kHz / 25 fps: whole frames
    shown = (frames[-1]["rtp"] - frames[0]["rtp"]) % 2 ** 32 // 3600 + 1
    assert len(frames) > 0.8 * shown
    assert _a_face_in(shot)

def test_the_page_function_turns_mistakes_into_messages(tmp_path, alsa_wav):
    from emoface.app.ui import run_job

    res = run_job(None, str(alsa_wav), "", {"emotion": "happy", "max_side": 512}, tmp_path)
    assert res == {"error": "no portrait given; upload a photo with a face, or use the example"}
    res = run_job(str(alsa_wav), None, "", {"emotion": "happy", "max_side": 512}, tmp_path)
    assert "no speech given" in res["error"]


def test_the_keyframe_table_becomes_an_emotion_timeline():
    from emoface.app.ui import keyframe_spec
    from emoface.errors import OptionError

    rows = [[0, "neutral", None], [2.5, "happy", 0.8], [None, "", None], [6, "sad", "0.5"]]
    assert keyframe_spec(rows) == "0:neutral, 2.5:happy@0.8, 6:sad@0.5"
    assert keyframe_spec([[None, "", None]] * 3) == ""  # an empty table leaves the emotion menu in charge
    with pytest.raises(OptionError, match="row 1: no emotion"):
        keyframe_spec([[1.0, "", 0.5]])
    with pytest.raises(OptionError, match="row 2: 'from' is seconds"):
        keyframe_spec([[0, "happy", None], ["soon", "sad", None]])


def test_the_page_names_fields_as_it_labels_them_not_as_cli_flags(tmp_path, alsa_wav):
    from emoface.app.ui import keyframe_spec, run_job
    from emoface.errors import OptionError

    def error(emotion, intensity=0.7):
        return run_job(str(alsa_wav), str(alsa_wav), "", {"emotion": emotion, "intensity": intensity},
                       tmp_path)["error"]

    def table_error(rows):
        with pytest.raises(OptionError) as err:
            keyframe_spec(rows)
        return str(err.value)

    messages = [error("happy", 5), error("0:happy, 0:sad"), table_error([[0, "happy", None], [2, "grumpy", 0.8]]),
                table_error([[1, "sad", 1.5]])]
    assert messages[0].startswith("Intensity 5 is out of range; use 0 to 1"), messages
    assert messages[1].startswith("emotion timeline '0:happy, 0:sad': keyframe times must increase"), messages
    # A bad row is named by its number and as the table's cells spell it.
    assert messages[2].startswith("emotion timeline, row 2 '2:grumpy@0.8': unknown emotion 'grumpy'"), messages
    assert messages[3].startswith("emotion timeline, row 1 '1:sad@1.5': intensity 1.5 is out of range"), messages
    assert not [m for m in messages if "--" in m], messages


@pytest.mark.slow
def test_the_downloads_are_named_after_the_portrait(tmp_path, alsa_wav, portrait_png):
    from emoface.app.ui import run_job

    photo, page = tmp_path / "grandma.png", tmp_path / "page"
    portrait_png.rename(photo)
    page.mkdir()
    made = run_job(str(photo), str(alsa_wav), "", {"emotion": "happy", "max_side": 256}, page)
    assert "error" not in made, made
    files = [Path(made[kind]) for kind in ("video", "csv", "glb")]
    assert [f.name for f in files] == ["grandma.mp4", "grandma.csv", "grandma.glb"]
    # In the run's own folder, which the page removes after an hour and when it stops.
    assert all(f.is_file() and f.parent.parent == page and f.parent.name.startswith("job-") for f in files)


# In a process of its own: the page's kept tracker must not live on in the test process, which forks.
_KEPT_MODELS = r"""
import json, os, signal, sys
from pathlib import Path
from emoface.app.ui import Models, run_job
from emoface.processes import may_fork

photo, speech, out = sys.argv[1:4]
models = Models()
def job(m):
    made = run_job(photo, speech, "", {"emotion": "sad", "intensity": 0.8, "seed": 3, "max_side": 512}, out, None, m)
    return Path(made["csv"]).read_text(), Path(made["video"]).stat().st_size
runs = [job(models), job(models), job(None)]
kept_worker = models.worker is not None
for pid in list(models.worker._processes):  # a worker killed (out of memory, say) between requests
    os.kill(pid, signal.SIGKILL)
runs.append(job(models))
print(json.dumps({"csvs": [r[0] for r in runs], "sizes": [r[1] for r in runs], "kept_worker": kept_worker,
                  "worker_after_kill": models.worker is not None, "may_fork": may_fork()}))
"""


@pytest.mark.slow
def test_the_page_keeps_its_models_and_still_gives_the_same_motion_for_the_same_fields(tmp_path, alsa_wav,
                                                                                      portrait_png):
    run = subprocess.run([sys.executable, "-c", _KEPT_MODELS, str(portrait_png), str(alsa_wav), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["kept_worker"], "the motion should have been made in the page's worker"
    first, *others = out["csvs"]
    assert all(csv == first for csv in others), "kept models changed the motion"
    assert len(first.splitlines()) > 30 and all(size > 10_000 for size in out["sizes"])
    # A dead worker costs nothing but its speed: the request is made here, and so are later ones.
    assert not out["worker_after_kill"]
    # With the tracker's threads alive, the recogniser's own workers must be spawned, not forked.
    assert not out["may_fork"]


@pytest.mark.slow
def test_sigterm_stops_the_page_and_everything_it_started(tmp_path):
    """kill, systemd and docker stop send SIGTERM: the worker, its forkserver
    and the resource tracker must go with the page, not live on under PID 1."""
    import signal

    proc, _ = _start_page(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        children = set()
        for _ in range(40):  # the worker starts beside the page
            children = descendants(proc.pid)
            if children:
                break
            time.sleep(0.25)
        assert children, "the page started no worker"
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        left = wait_gone(children)
        assert not left, f"left running after SIGTERM: {sorted(left)}"
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_uploads_and_results_are_gone_when_the_page_stops(tmp_path, portrait_png):
    """Faces and voices uploaded to the page are not left in the temp folder."""
    import os
    import signal
    import uuid

    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    env.pop("GRADIO_TEMP_DIR", None)
    proc, url = _start_page(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="me.png"\r\n'
                "Content-Type: image/png\r\n\r\n").encode() + portrait_png.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(url + "/gradio_api/upload", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            (stored,) = json.loads(r.read())
        assert Path(stored).is_file() and str(temp) in stored  # the upload is on disk while the page runs
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        left = [p for p in temp.rglob("*") if p.is_file()]
        assert not left, left
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_page_widgets_are_the_options_declarations():
    """One declaration of each default, range and choice: the page's own
    (a 1024 px size, a happy default) once disagreed with the library's."""
    from dataclasses import fields

    import gradio as gr

    from emoface.app.ui import PAGE_OPTIONS, option_widget
    from emoface.options import EMOTIONS, MotionOptions, RenderOptions

    declared = {f.name: f for cls in (MotionOptions, RenderOptions) for f in fields(cls)}
    for name in PAGE_OPTIONS:
        widget, f = option_widget(gr, name), declared[name]
        assert widget.value == f.default, name
        if "range" in f.metadata:
            assert (widget.minimum, widget.maximum) == f.metadata["range"], name
        choices = f.metadata.get("choices", EMOTIONS if name == "emotion" else None)
        if choices:
            assert [c[0] for c in widget.choices] == list(choices), name
    assert option_widget(gr, "max_side").value == RenderOptions().max_side == 1920
    assert option_widget(gr, "emotion").value == "neutral"
