"""Where each key of a TOML document is written, so validation errors can name a line.

`tomllib` keeps no positions. This scanner reads the document line by line and records the
line of every table header (`[a.b]`, `[[routes]]`) and `key = value` line under it, by the
same path pydantic reports in its errors (`("routes", 2, "receivers")`). Inline tables and
multi-line arrays are not entered: an error inside them is reported at the line of their key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*""")


def _split_key(dotted: str) -> list[str]:
    return [m.group(1).strip("\"'") for m in _PART.finditer(dotted) if m.group(1)]


def key_lines(text: str) -> dict[Path, int]:
    """Map of key path -> 1-based line number for every header and simple key line."""
    lines: dict[Path, int] = {}
    table: Path = ()
    array_counts: dict[Path, int] = {}
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_multiline:
            # Close of a multi-line array or string; good enough for config files.
            if stripped.endswith(("]", '"""', "'''")):
                in_multiline = False
            continue
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            parts = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(parts, 0)
                array_counts[parts] = index + 1
                table = (*parts, index)
            else:
                table = parts
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *_split_key(key.group(1)))
            lines.setdefault(path, number)
            rest = line[key.end() :].strip()
            if (rest.startswith("[") and not rest.rstrip().endswith("]")) or rest.startswith(('"""', "'''")):
                in_multiline = rest.count('"""') != 2 and rest.count("'''") != 2
    return lines


def line_of(lines: dict[Path, int], loc: Sequence[str | int]) -> int | None:
    """The line of the longest prefix of `loc` that the document spells out."""
    best: int | None = None
    for end in range(1, len(loc) + 1):
        found = lines.get(tuple(loc[:end]))
        if found is not None:
            best = found
    return best
