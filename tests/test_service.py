"""The REST service, as a real server process on localhost."""

import json
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from support.server import Server
from support.processes import alive, descendants, niceness, wait_gone


@pytest.fixture()
def inputs(portrait_png, alsa_wav):
    return {"image": ("me.png", portrait_png.read_bytes()), "audio": ("hello.wav", alsa_wav.read_bytes())}


@pytest.mark.slow
def test_a_job_goes_through_and_its_results_download(tmp_path, inputs):
    from emoface.media.audio import load_audio

    srv = Server(tmp_path / "data").start()
    try:
        code, body = srv.call("POST", "/v1/videos", {"options": json.dumps({"emotion": "happy"}), "glb": "true"}, inputs)
        assert code == 202 and body["state"] == "queued"
        done = srv.wait(body["id"])
        assert done["state"] == "done" and done["progress"] == 1.0 and done["attempts"] == 1
        code, mp4 = srv.call("GET", f"/v1/jobs/{body['id']}/result")
        assert code == 200 and mp4[4:8] == b"ftyp"
        (tmp_path / "r.mp4").write_bytes(mp4)
        assert abs(load_audio(tmp_path / "r.mp4").duration - 1.43) < 0.1
        assert srv.call("GET", f"/v1/jobs/{body['id']}/result?format=csv")[1].startswith(b"Timecode,")
        assert srv.call("GET", f"/v1/jobs/{body['id']}/result?format=glb")[1][:4] == b"glTF"
        code, track = srv.call("POST", "/v1/blendshapes", {}, {"audio": inputs["audio"]})
        assert code == 200 and len(track["blendshapes"]) == 52
        assert srv.call("GET", "/openapi.json")[0] == 200
    finally:
        srv.stop()


@pytest.mark.slow
def test_bad_requests_get_clear_answers(tmp_path, inputs):
    srv = Server(tmp_path / "data", "--workers", "0", "--max-upload-mb", "2", "--api-key", "s3cret").start()
    key = {"X-API-Key": "s3cret"}
    try:
        assert srv.call("POST", "/v1/videos", {}, inputs)[0] == 401
        assert srv.call("GET", "/v1/jobs/" + "0" * 32, headers={"X-API-Key": "wrong"})[0] == 401
        code, body = srv.call("POST", "/v1/videos", {}, {"image": ("notes.png", b"just text"),
                                                         "audio": inputs["audio"]}, key)
        assert code == 422 and "notes.png" in body["detail"] and "cannot read image" in body["detail"]
        code, body = srv.call("POST", "/v1/videos", {"options": '{"emotion": "joyous"}'}, inputs, key)
        assert code == 422 and "unknown emotion 'joyous'" in body["detail"]
        code, body = srv.call("POST", "/v1/videos", {"options": '{"colour": 1}'}, inputs, key)
        assert code == 422 and "colour" in body["detail"]
        code, body = srv.call("POST", "/v1/videos", {"options": '{"fps": "30"}'}, inputs, key)
        assert code == 422 and body["detail"] == "fps '30' is not a number"
        assert srv.call("POST", "/v1/videos", {}, {"image": inputs["image"]}, key)[0] == 422
        # An oversized upload is refused from its headers, before its body is read.
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(b"POST /v1/videos HTTP/1.1\r\nHost: x\r\nX-API-Key: s3cret\r\n"
                         b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 3000000\r\n\r\n")
            assert sock.recv(200).startswith(b"HTTP/1.1 413")
        assert srv.call("GET", "/v1/jobs/nope", headers=key)[0] == 404
        assert srv.call("GET", "/v1/jobs/..%2F..%2Fjobs.sqlite", headers=key)[0] == 404
        assert not list((tmp_path / "data" / "jobs").iterdir())  # refused uploads leave nothing behind
    finally:
        srv.stop()


@pytest.mark.slow
def test_option_errors_name_the_json_keys_sent_not_the_cli_flags(tmp_path, inputs):
    srv = Server(tmp_path / "data", "--workers", "0").start()
    try:
        for path, fields, files, expected in (
                ("/v1/videos", {"options": '{"intensity": 5}'}, inputs, "intensity 5 is out of range; use 0 to 1"),
                ("/v1/videos", {"options": '{"emotion": "0:happy, 2:grumpy@0.8"}'}, inputs,
                 "emotion '2:grumpy@0.8': unknown emotion 'grumpy'"),
                ("/v1/blendshapes", {"text": "Hello.", "options": '{"head_motion": 3}'}, None,
                 "head_motion 3 is out of range")):
            code, body = srv.call("POST", path, fields, files)
            assert code == 422 and body["detail"].startswith(expected) and "--" not in body["detail"], body
    finally:
        srv.stop()


@pytest.mark.slow
def test_speech_and_pictures_over_the_limits_are_refused(tmp_path, inputs):
    from PIL import Image

    srv = Server(tmp_path / "data", "--workers", "0", "--max-audio-seconds", "1").start()
    try:
        code, body = srv.call("POST", "/v1/videos", {}, inputs)
        assert code == 422 and "hello.wav" in body["detail"] and "over the 1 s cap" in body["detail"]
        code, body = srv.call("POST", "/v1/videos", {"options": '{"max_audio_seconds": 5}'}, inputs)
        assert code == 422 and "at most 1 s" in body["detail"]
        Image.new("RGB", (9000, 8000)).save(tmp_path / "huge.png")
        code, body = srv.call("POST", "/v1/videos", {"text": "Hi."}, {"image": ("huge.png", (tmp_path / "huge.png").read_bytes())})
        assert code == 422 and "huge.png" in body["detail"] and "megapixels" in body["detail"]
    finally:
        srv.stop()


@pytest.mark.slow
def test_a_full_queue_answers_429(tmp_path, inputs):
    srv = Server(tmp_path / "data", "--workers", "0", "--max-queue", "2").start()
    try:
        codes = [srv.call("POST", "/v1/videos", {}, inputs)[0] for _ in range(3)]
        assert codes == [202, 202, 429]
        assert int(srv.last_headers["retry-after"]) > 0  # when to try again
    finally:
        srv.stop()


@pytest.mark.slow
def test_jobs_survive_sigkill_and_finish_exactly_once(tmp_path, inputs):
    data = tmp_path / "data"
    srv = Server(data, "--workers", "0").start()
    ids = [srv.call("POST", "/v1/videos", {}, inputs)[1]["id"] for _ in range(2)]
    srv.kill()  # accepted, never started
    srv = Server(data, "--workers", "1").start()
    try:
        first = srv.wait(ids[0])
        # Kill it again while the second job runs.
        for _ in range(300):
            if srv.call("GET", f"/v1/jobs/{ids[1]}")[1]["state"] == "running":
                break
            time.sleep(0.05)
        srv.kill()
        srv = Server(data, "--workers", "1").start()
        second = srv.wait(ids[1])
        assert first["state"] == second["state"] == "done"
        assert first["attempts"] == 1 and second["attempts"] in (1, 2)
        for job in ids:
            outputs = sorted(p.name for p in (data / "jobs" / job).iterdir() if p.name.startswith("result"))
            assert outputs == ["result.csv", "result.mp4"]  # one of each, no partial files
        code, body = srv.call("DELETE", f"/v1/jobs/{ids[0]}")
        assert code == 200 and body["state"] == "done"  # a finished job is not undone
    finally:
        srv.stop()


def test_start_up_removes_what_killed_jobs_half_wrote(tmp_path):
    from emoface.app.service import JobStore

    store = JobStore(tmp_path)
    job = store.dir("a" * 32)
    job.mkdir(parents=True)
    (job / ".result.partial-1a2b3c4d.mp4").write_bytes(b"half a video")
    (job / "image.png").write_bytes(b"kept")
    JobStore(tmp_path).requeue_interrupted()
    assert sorted(p.name for p in job.iterdir()) == ["image.png"]


@pytest.mark.slow
def test_a_failed_job_names_the_upload_as_the_user_sent_it(tmp_path):
    import io

    from PIL import Image

    wall = io.BytesIO()
    Image.new("RGB", (300, 300), (128, 128, 128)).save(wall, "PNG")
    srv = Server(tmp_path / "data").start()
    try:
        code, body = srv.call("POST", "/v1/videos", {"text": "Hi."}, {"image": ("noface.png", wall.getvalue())})
        assert code == 202
        job = srv.wait(body["id"])
        assert job["state"] == "failed" and "noface.png: no face found" in job["error"], job
        assert "image.png" not in job["error"]
    finally:
        srv.stop()


def _running_job(srv: Server, inputs: dict, speech: Path) -> tuple[str, set[int]]:
    """Submit a job with ``speech`` and wait until its render process runs."""
    files = {"image": inputs["image"], "audio": ("long.wav", speech.read_bytes())}
    job_id = srv.call("POST", "/v1/videos", {}, files)[1]["id"]
    for _ in range(300):
        children = descendants(srv.proc.pid)
        if srv.call("GET", f"/v1/jobs/{job_id}")[1]["state"] == "running" and children:
            return job_id, children
        time.sleep(0.05)
    raise TimeoutError("the job never started")


@pytest.mark.slow
def test_jobs_render_in_their_own_process_below_the_server(tmp_path, inputs, librivox_wav):
    """A render must not share the server's GIL or CPU priority with live streams."""
    srv = Server(tmp_path / "data").start()
    try:
        job_id, children = _running_job(srv, inputs, librivox_wav)
        assert min(niceness(pid) for pid in alive(children)) >= niceness(srv.proc.pid) + 10
        code, body = srv.call("DELETE", f"/v1/jobs/{job_id}")
        assert code == 200 and body["state"] == "cancelled"
        assert not wait_gone(children), "a cancelled job's render process lives on"
        assert srv.wait(job_id)["state"] == "cancelled"
        assert not [p.name for p in (tmp_path / "data" / "jobs" / job_id).iterdir() if "result" in p.name]
        # The worker takes the next job as before.
        assert srv.wait(srv.call("POST", "/v1/videos", {}, inputs)[1]["id"])["state"] == "done"
    finally:
        srv.stop()


@pytest.mark.slow
def test_sigterm_stops_the_server_and_its_renders_and_the_job_resumes(tmp_path, inputs, librivox_wav):
    """docker stop and systemd send SIGTERM: no render may live on under PID 1,
    nothing half-written stays, and the job finishes after the restart."""
    from emoface.media.audio import Audio, load_audio

    # Four times the sentence: SIGTERM must land while the render still runs
    # (a render of one sentence sometimes finished first, and the job never resumed).
    speech = load_audio(librivox_wav)
    longer = tmp_path / "long.wav"
    Audio(np.tile(speech.samples, (4, 1)), speech.rate).write_wav(longer)
    data = tmp_path / "data"
    srv = Server(data).start()
    try:
        job_id, children = _running_job(srv, inputs, longer)
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(30)
        assert not wait_gone(children), "left running after SIGTERM"
        assert not list((data / "jobs" / job_id).glob(".*partial*"))
        srv = Server(data).start()
        job = srv.wait(job_id, timeout=300)
        assert job["state"] == "done" and job["attempts"] == 2
    finally:
        srv.stop()


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read(), {k.lower(): v for k, v in r.headers.items()}


@pytest.mark.slow
def test_the_api_pages_load_only_their_own_assets(tmp_path):
    import re

    srv = Server(tmp_path / "data", "--workers", "0").start()
    try:
        for page in ("/docs", "/redoc"):
            html, head = _get(srv.url + page)
            # The browser may reach nothing but this server from the page.
            assert head["content-security-policy"].startswith("default-src 'self'")
            urls = re.findall(r'(?:src|href)="([^"]+)"', html.decode()) + re.findall(r"url: '([^']+)'", html.decode())
            assert len(urls) >= 2 and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
            for url in urls:
                body, head = _get(srv.url + url)
                kind = head["content-type"]
                assert any(k in kind for k in ("javascript", "css", "image/png", "json")), (url, kind)
                assert len(body) > (100_000 if "javascript" in kind else 1000), url
    finally:
        srv.stop()


@pytest.mark.slow
def test_the_schema_documents_every_option_answer_and_error(tmp_path):
    from dataclasses import fields

    import numpy as np

    from emoface.export import json_track
    from emoface.motion import MotionTrack
    from emoface.options import MotionOptions, RenderOptions

    srv = Server(tmp_path / "data", "--workers", "0", "--api-key", "s3cret", "--max-audio-seconds", "120").start()
    try:
        spec = json.loads(_get(srv.url + "/openapi.json")[0])
    finally:
        srv.stop()
    schemas = spec["components"]["schemas"]
    for name, classes, cap in (("VideoOptions", (MotionOptions, RenderOptions), 120),
                               ("BlendshapesOptions", (MotionOptions,), 60)):
        props = schemas[name]["properties"]
        assert list(props) == [f.name for cls in classes for f in fields(cls)]
        for cls in classes:
            for f in fields(cls):
                prop = props[f.name]
                # The server fills in its own audio cap when none is given.
                assert prop["default"] == (cap if f.name == "max_audio_seconds" else f.default), f.name
                assert prop["description"] == f.metadata["help"] and prop["type"]
                if "range" in f.metadata:
                    lo, hi = f.metadata["range"]
                    assert (prop["minimum"], prop["maximum"]) == (lo, cap if f.name == "max_audio_seconds" else hi)
                if "choices" in f.metadata:
                    assert prop["enum"] == list(f.metadata["choices"])
    fps = schemas["VideoOptions"]["properties"]["fps"]
    assert (fps["type"], fps["default"], fps["minimum"], fps["maximum"]) == ("number", 25.0, 24.0, 60.0)
    assert schemas["VideoOptions"]["properties"]["face"]["type"] == ["integer", "null"]
    form = schemas["Body_submit_v1_videos_post"]["properties"]
    assert form["options"]["contentMediaType"] == "application/json"
    assert form["options"]["contentSchema"] == {"$ref": "#/components/schemas/VideoOptions"}
    assert "max_side" in form["options"]["description"]  # the page lists the options too
    assert form["glb"]["type"] == "boolean" and "form field" in form["glb"]["description"]
    # Every endpoint names its answer and its errors; the key is required everywhere.
    expected = {("post", "/v1/videos"): ("202", "401", "413", "422", "429"),
                ("get", "/v1/jobs/{job_id}"): ("200", "401", "404"),
                ("get", "/v1/jobs/{job_id}/result"): ("200", "401", "404", "409", "422"),
                ("delete", "/v1/jobs/{job_id}"): ("200", "401", "404"),
                ("post", "/v1/blendshapes"): ("200", "401", "413", "422"),
                ("post", "/v1/portraits"): ("200", "401", "413", "422"),
                ("post", "/v1/live/offer"): ("200", "401", "422", "503")}
    assert {(m, p) for p, ops in spec["paths"].items() for m in ops} == set(expected)
    for (method, path), codes in expected.items():
        answers = spec["paths"][path][method]["responses"]
        assert set(codes) <= set(answers), (path, sorted(answers))
        for code in codes:
            assert answers[code]["content"], (path, code)
    assert "Retry-After" in spec["paths"]["/v1/videos"]["post"]["responses"]["429"]["headers"]
    assert spec["security"] == [{"ApiKey": []}]
    assert spec["components"]["securitySchemes"]["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert set(spec["paths"]["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]["content"]) == {
        "video/mp4", "text/csv", "model/gltf-binary"}
    assert set(schemas["JobStatus"]["properties"]) == {"id", "state", "progress", "error", "attempts"}
    # /v1/blendshapes' answer: the keys of the MotionTrack JSON that emoface writes.
    json_track.save(MotionTrack(25.0, np.zeros((2, 52)), np.zeros((2, 6))), tmp_path / "t.json")
    assert set(schemas["MotionTrack"]["properties"]) == set(json.loads((tmp_path / "t.json").read_text()))


@pytest.mark.slow
def test_the_api_page_renders_in_chromium_with_no_network(tmp_path):
    import shutil

    root = Path(__file__).resolve().parents[1]
    if not shutil.which("chromium") or not (root / ".cache/node/node_modules/playwright-core").exists():
        pytest.fail("the browser test needs chromium and playwright-core: run `bash scripts/test-media.sh`")
    srv = Server(tmp_path / "data", "--workers", "0").start()
    try:
        script = Path(__file__).parent / "docs_browser.js"
        r = subprocess.run(["node", str(script), srv.url, str(tmp_path / "docs.png")],
                           capture_output=True, text=True, timeout=120)
    finally:
        srv.stop()
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "fatal" not in out and out["page_errors"] == [], out
    assert out["operations"] == ["/v1/videos", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result",
                                 "/v1/blendshapes", "/v1/portraits", "/v1/live/offer"]
    assert {"VideoOptions", "JobStatus", "MotionTrack", "Error"} <= set(out["schemas"])
    assert "max_audio_seconds" in out["submit_text"] and "glb" in out["submit_text"]
    assert "Submit a video job" in out["redoc_text"] and "max_audio_seconds" in out["redoc_text"]
    # Nothing was asked of another host (ReDoc's badge logo is stopped by the page's policy),
    # and everything from this server loaded.
    assert out["external_requests"] == []
    assert all(not u.startswith(srv.url) for u in out["failed_requests"]), out["failed_requests"]
    assert (tmp_path / "docs.png").stat().st_size > 50_000


@pytest.mark.slow
def test_a_job_failing_after_acceptance_names_the_fields_as_sent(tmp_path, inputs):
    """A keyframe past the end of the speech is found only when the job runs:
    the job's error still speaks the API's names, not the CLI's flags."""
    srv = Server(tmp_path / "data").start()
    try:
        code, body = srv.call("POST", "/v1/videos", {"options": json.dumps({"emotion": "0:happy, 30:sad"})}, inputs)
        assert code == 202
        job = srv.wait(body["id"])
        assert job["state"] == "failed" and "emotion" in job["error"] and "--" not in job["error"], job
    finally:
        srv.stop()


def test_service_options_are_checked_where_they_are_declared():
    from emoface.app.service import ServiceOptions
    from emoface.errors import OptionError

    with pytest.raises(OptionError, match="workers -1 is out of range"):
        ServiceOptions(workers=-1)
    with pytest.raises(OptionError, match="max-upload-mb 0 is out of range"):
        ServiceOptions(max_upload_mb=0)
    assert ServiceOptions(data_dir="jobs").data_dir == Path("jobs")


def test_an_endpoint_runs_alone_on_an_app_with_the_state_it_needs(tmp_path):
    """The endpoints are module-level: any app with the store in its state serves them."""
    import uuid

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from emoface.app.jobs import JobStore
    from emoface.app.service import ServiceOptions, router

    app = FastAPI()
    app.include_router(router)
    app.state.opts, app.state.store = ServiceOptions(data_dir=tmp_path), JobStore(tmp_path)
    job = uuid.uuid4().hex
    app.state.store.add({"id": job}, max_queue=1)
    client = TestClient(app)
    assert client.get(f"/v1/jobs/{job}").json()["state"] == "queued"
    assert client.get(f"/v1/jobs/{job}/result").status_code == 409
    assert client.get("/v1/jobs/" + "0" * 32).status_code == 404
    assert client.delete(f"/v1/jobs/{job}").json()["state"] == "cancelled"
