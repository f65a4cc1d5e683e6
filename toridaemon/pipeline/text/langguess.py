"""A stand-in language guess for OCR and ligature repair.

MERGE NOTE: replace `guess_language` with `toridaemon.pipeline.language.detect_language` (same signature:
text → ISO 639-1 code or None) once that module exists; `read_document` takes the detector as a parameter.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

_MIN_LETTERS = 20
_SAMPLE_CHARS = 1500
_LETTERS = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _classify() -> Any:
    # numpy's OpenBLAS would start a thread pool per worker process, each thread reserving address
    # space that counts against worker_memory_limit_mb; the classifier needs none of it.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import py3langid  # loads its model (about a second) on the first call, once per process

    return py3langid.classify


def guess_language(text: str) -> str | None:
    """ISO 639-1 code of `text`'s language, or None when there is too little text to tell."""
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTERS.findall(sample)) < _MIN_LETTERS:
        return None
    language, _ = _classify()(sample)
    return str(language)
