"""Which names in the inbox are candidate PDFs."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

# With `recursive`, PDFs at most this many folders below the inbox are taken, by a scan or an event alike: a
# runaway tree stays bounded.
MAX_DEPTH = 8


def within_depth(relative: str) -> bool:
    """Whether a path relative to the inbox ("a/b/x.pdf") lies at most `MAX_DEPTH` folders down."""
    return relative.count("/") <= MAX_DEPTH


def is_ignored(name: str, patterns: Iterable[str]) -> bool:
    """True when `name` matches an ignore pattern (case-insensitive glob on the base name)."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def is_candidate(name: str, patterns: Iterable[str]) -> bool:
    """A name ending in `.pdf` in any case, not hidden-by-pattern, not a partial download or temp file."""
    return name.lower().endswith(".pdf") and "/" not in name and not is_ignored(name, patterns)
