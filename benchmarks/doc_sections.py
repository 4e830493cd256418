"""Write a benchmark's figures into its section of a Markdown doc, in place."""

from __future__ import annotations

from pathlib import Path


def splice(path: Path, title: str, body: list[str]) -> None:
    """Replace section ``title`` (a ``## `` heading line) of ``path`` with
    ``body``, or append it; every other section stays as it is."""
    lines = path.read_text().split("\n") if path.exists() else []
    body = body if body[-1:] == [""] else [*body, ""]
    start = next((i for i, ln in enumerate(lines) if ln == title), None)
    if start is None:
        lines += ["", title, *body]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines = lines[:start] + [title, *body] + lines[end:]
    path.write_text("\n".join(lines).rstrip("\n") + "\n")
    print(f"updated {path}")
