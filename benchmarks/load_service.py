"""The REST service under load, killed in the middle.

Starts a real ``emoface serve`` on localhost, submits JOBS jobs from
CLIENTS concurrent clients (a real portrait and real speech), SIGKILLs the
server part-way, restarts it on the same data directory, and waits for
everything. Reports whether every accepted job completed exactly once, the
429s, throughput and p50/p95 job latency (submission to done), and writes
the section "REST service under load" of docs/benchmarks.md.

Run: .venv/bin/python benchmarks/load_service.py [JOBS] [CLIENTS]
"""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sections import splice  # noqa: E402
from support.server import Server  # noqa: E402  (the tests' real-server helper)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    import skimage.data
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        Image.fromarray(skimage.data.astronaut()).save(tmp / "me.png")
        files = {"image": ("me.png", (tmp / "me.png").read_bytes()),
                 "audio": ("hello.wav", Path("/usr/share/sounds/alsa/Front_Center.wav").read_bytes())}
        fields = {"options": json.dumps({"max_side": 256, "size": 256, "emotion": "happy"})}
        srv = Server(tmp / "data", "--workers", "2", "--max-queue", str(jobs)).start()
        submitted: dict[str, float] = {}
        refused = []
        lock = threading.Lock()
        counter = iter(range(jobs))

        def client() -> None:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                for _ in range(50):  # the server may be down for a moment: retry
                    try:
                        code, body = srv.call("POST", "/v1/videos", fields, files)
                        break
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.2)  # killed mid-answer: the job may or may not be in
                else:
                    raise RuntimeError("server never came back")
                with lock:
                    if code == 202:
                        submitted[body["id"]] = time.time()
                    else:
                        refused.append(code)

        t0 = time.time()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        while len(submitted) < jobs // 2:
            time.sleep(0.1)
        time.sleep(2.0)  # some jobs running
        srv.kill()
        killed_at = time.time() - t0
        time.sleep(0.5)
        srv.start()
        for t in threads:
            t.join()
        finished: dict[str, float] = {}
        states: dict[str, dict] = {}
        while len(finished) < len(submitted):
            for job in submitted:
                if job in finished:
                    continue
                code, body = srv.call("GET", f"/v1/jobs/{job}")
                if body["state"] in ("done", "failed", "cancelled"):
                    finished[job] = time.time()
                    states[job] = body
            time.sleep(0.5)
        # Also the jobs the server accepted whose answer the kill swallowed (the client retried).
        for _ in range(600):
            db = sqlite3.connect(tmp / "data" / "jobs.sqlite")
            server_side = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
            db.close()
            if set(server_side) <= {"done", "failed", "cancelled"}:
                break
            time.sleep(0.5)
        wall = time.time() - t0
        srv.stop()
        done = [j for j, b in states.items() if b["state"] == "done"]
        once = all(sorted(p.name for p in (tmp / "data" / "jobs" / j).iterdir() if p.name.startswith("result"))
                   == ["result.csv", "result.mp4"] for j in done)
        rerun = sum(1 for b in states.values() if b["attempts"] > 1)
        lat = np.array([finished[j] - submitted[j] for j in done])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    rows = [
        f"| jobs submitted | {jobs} from {clients} concurrent clients |",
        f"| accepted (202) / refused | {len(submitted)} / {len(refused)} ({', '.join(map(str, sorted(set(refused)))) or 'none'}) |",
        f"| server SIGKILLed and restarted | at {killed_at:.1f} s |",
        f"| completed | {len(done)} of {len(submitted)} accepted, each exactly once: {'yes' if once and len(done) == len(submitted) else 'NO'} |",
        f"| every job the server holds | {', '.join(f'{k}: {v}' for k, v in sorted(server_side.items()))} |",
        f"| re-run after the kill | {rerun} (were running when it died) |",
        f"| throughput | {len(done) / wall * 60:.1f} jobs/min ({wall:.0f} s wall, 2 workers) |",
        f"| job latency p50 / p95 | {np.percentile(lat, 50):.1f} s / {np.percentile(lat, 95):.1f} s |",
    ]
    print("\n".join(rows))
    section = ["", f"`benchmarks/load_service.py` on {machine}: a real `emoface serve` on localhost, "
               "each job a 1.4 s ALSA recording on the astronaut portrait at 256 px, happy; the server is "
               "SIGKILLed part-way through and restarted on the same data directory.", "",
               "| | |", "|---|---|", *rows, ""]
    splice(ROOT / "docs" / "benchmarks.md", "## REST service under load", section)


if __name__ == "__main__":
    main()
