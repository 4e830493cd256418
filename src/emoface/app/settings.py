"""A server's limits and set-up, declared once: ``emoface serve``'s flags,
their defaults and their checks all come from :class:`ServiceOptions`.
Here rather than in the service's module, so the CLI can build its flags
without importing FastAPI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..options import check_declared, option


@dataclass(frozen=True)
class ServiceOptions:
    """Limits and set-up of one server (``emoface serve``'s flags come from
    these fields)."""

    data_dir: Path = option(Path("emoface-data"), "where jobs, inputs and results live")
    workers: int = option(1, "jobs rendered at once (0-64)", range=(0, 64))
    api_key: str | None = option(None, "require this key (X-API-Key header); default: $EMOFACE_API_KEY, or none")
    max_queue: int = option(100, "queued jobs before 429 (1-100000)", range=(1, 100_000))
    max_upload_mb: float = option(50.0, "largest upload in MB (0.1-10240)", range=(0.1, 10_240))
    max_audio_seconds: float = option(300.0, "longest speech a job may have (1-36000)", range=(1, 36_000))
    keep_hours: float = option(24.0, "hours finished jobs are kept (0-8760)", range=(0, 8760))
    live_sessions: int = option(2, "live talking portraits drawn at once (0-64); each takes about a core",
                                range=(0, 64))

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))  # a str is as good a path
        check_declared(self)
