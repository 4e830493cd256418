"""A real ``emoface serve`` on localhost, for the service and stream tests
(and the benchmarks that measure a real server)."""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

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


def start_page(**popen) -> tuple[subprocess.Popen, str]:
    """``emoface ui`` on a free port, once it answers: (process, url)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "emoface", "ui", "--port", str(port)], **popen)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the web page did not start")
