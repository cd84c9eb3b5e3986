"""Reading annotated JSONL files: one JSON object per line, a bad line named by its number.

Part of the shared core: it imports nothing else of the project.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def read_rows(path: Path, parse: Callable[[dict[str, Any], int], T], what: str) -> list[T]:
    """`parse(row, line_number)` for every non-empty line; ValueError names the file, the line and `what`."""
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(parse(json.loads(line), n))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{n}: bad {what} row ({exc})") from exc
    return items
