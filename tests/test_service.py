"""The REST service, as a real server process on localhost."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import free_port


class Server:
    def __init__(self, data: Path, *args: str) -> None:
        self.data, self.args = data, args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, *extra: str) -> "Server":
        self.proc = subprocess.Popen([sys.executable, "-m", "emoface", "serve", "--port", str(self.port),
                                      "--data-dir", str(self.data), *self.args, *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/openapi.json", timeout=1)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def call(self, method, path, fields=None, files=None, headers=None):
        body, head = None, dict(headers or {})
        if fields is not None or files is not None:
            boundary = uuid.uuid4().hex
            parts = []
            for k, v in (fields or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
            for k, (name, data) in (files or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                             f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            head["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        req = urllib.request.Request(self.url + path, body, head, method=method)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                data = r.read()
                return r.status, (json.loads(data) if r.headers.get("content-type", "").startswith("application/json")
                                  else data)
        except urllib.error.HTTPError as e:
            self.last_headers = dict(e.headers)
            return e.code, json.loads(e.read() or b"{}")

    def wait(self, job_id, timeout=180):
        for _ in range(int(timeout * 5)):
            code, body = self.call("GET", f"/v1/jobs/{job_id}")
            if body["state"] in ("done", "failed", "cancelled"):
                return body
            time.sleep(0.2)
        raise TimeoutError(job_id)


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
