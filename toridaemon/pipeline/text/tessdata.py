"""Where Tesseract's language data lives, which languages are installed, and the OCR time budget of a file.

Search order for `<lang>.traineddata`: the `tessdata_dir` setting, `$TESSDATA_PREFIX`, the virtualenv's
`share/tessdata` (English and German, installed pinned by `make run`/`make test` from the `tessdata-fast-*` wheels),
then Debian's `tesseract-ocr-<lang>` folders. A language is used from the first folder that has it.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path

from toridaemon.pipeline.options import PipelineOptions

DEBIAN_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata")
# ISO 639-1 (what language detectors say) → Tesseract's data name, for languages Debian packages.
TESSERACT_NAMES: dict[str, str] = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan",
    "de": "deu", "el": "ell", "en": "eng", "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin",
    "fr": "fra", "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind",
    "is": "isl", "it": "ita", "ja": "jpn", "ko": "kor", "la": "lat", "lt": "lit", "lv": "lav", "nb": "nor",
    "nl": "nld", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv",
    "sq": "sqi", "sr": "srp", "sv": "swe", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr", "vi": "vie",
    "zh": "chi_sim",
}
# Tesseract's data name → the script its script detection (`osd`) names for pages in that language, for the
# languages not written in Latin letters; every other language is taken for Latin, but for these, in scripts
# script detection does not tell (Georgian, Armenian, Ethiopic, ...), and data that is no language.
_SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("aze_cyrl", "bel", "bul", "kaz", "kir", "mkd", "mon", "rus", "srp", "tat", "tgk", "ukr", "uzb_cyrl"),
    "Greek": ("ell", "grc"),
    "Arabic": ("ara", "fas", "pus", "snd", "uig", "urd"),
    "Hebrew": ("heb", "yid"),
    "Han": ("chi_sim", "chi_sim_vert", "chi_tra", "chi_tra_vert"),
    "Japanese": ("jpn", "jpn_vert"),
    "Korean": ("kor", "kor_vert"),
    "Devanagari": ("hin", "mar", "nep", "san"),
    "Bengali": ("asm", "ben"),
    "Tamil": ("tam",),
    "Telugu": ("tel",),
    "Kannada": ("kan",),
    "Malayalam": ("mal",),
    "Thai": ("tha",),
}
_UNTOLD = frozenset({"amh", "bod", "chr", "div", "dzo", "equ", "guj", "hye", "iku", "kat", "kat_old", "khm", "lao",
                     "mya", "ori", "pan", "sin", "syr", "tir"})
SCRIPTS: dict[str, str] = {name: script for script, names in _SCRIPT_LANGUAGES.items() for name in names}
# Names script detection gives besides those above: the scripts of its own data, as Japanese and Korean are written.
_SCRIPT_ALIASES = {"Hangul": "Korean", "Hiragana": "Japanese", "Katakana": "Japanese"}
SCRIPT_DATA = "osd"
# Image XObjects are streams, and streams never sit inside object streams: their dictionaries are
# always visible in the file's bytes, so counting them needs no parsing.
_IMAGE_XOBJECT = re.compile(rb"/Subtype\s*/Image\b")
_SCAN_OVERLAP = 64  # longer than `/Subtype /Image` with any whitespace a PDF writer puts between


def search_dirs(tessdata_dir: str | None) -> tuple[Path, ...]:
    """Candidate folders, highest priority first."""
    dirs = [tessdata_dir, os.environ.get("TESSDATA_PREFIX"), str(Path(sys.prefix) / "share" / "tessdata"),
            *DEBIAN_DIRS]
    return tuple(Path(d) for d in dirs if d)


@lru_cache(maxsize=8)
def installed(tessdata_dir: str | None) -> dict[str, Path]:
    """Language name → the folder its data is used from (cached per process: installs need a restart)."""
    found: dict[str, Path] = {}
    for folder in search_dirs(tessdata_dir):
        try:
            # Regular files only (links to them too): Tesseract's Init opening a FIFO of that name waited for a
            # writer for ever, outside any page timeout.
            names = sorted(entry.name for entry in folder.iterdir()
                           if entry.name.endswith(".traineddata") and entry.is_file())
        except OSError:
            continue
        for name in names:
            found.setdefault(name.removesuffix(".traineddata"), folder)
    found.pop(SCRIPT_DATA, None)  # orientation and script data, not a language
    return found


@lru_cache(maxsize=8)
def script_data(tessdata_dir: str | None) -> Path | None:
    """The folder of Tesseract's script detection data (`osd.traineddata`), searched for as languages are."""
    return next((folder for folder in search_dirs(tessdata_dir) if (folder / f"{SCRIPT_DATA}.traineddata").is_file()),
                None)


def script_of(language: str) -> str | None:
    """The script `language` (a Tesseract data name) is written in, as script detection names it; None for one it
    does not tell."""
    return None if language in _UNTOLD else SCRIPTS.get(language, "Latin")


def other_scripts(languages: str, tessdata_dir: str | None) -> set[str]:
    """The scripts of installed languages that none of `languages` ("eng+deu") is written in."""
    planned = {script_of(name) for name in languages.split("+")}
    return {script for name in installed(tessdata_dir) if (script := script_of(name)) and script not in planned}


def script_named(found: str) -> str:
    """The script of `script_of` that script detection's `found` names."""
    return _SCRIPT_ALIASES.get(found, found)


def script_plan(script: str, preferred: tuple[str, ...], tessdata_dir: str | None) -> tuple[Path, str] | None:
    """A plan in one installed language written in `script` (as `script_of` names it): the first of `preferred`
    so written, else the first by name. Reading the page in it tells its language, which is then followed as
    after any reading."""
    names = sorted((name for name in installed(tessdata_dir) if script_of(name) == script),
                   key=lambda name: (name not in preferred, preferred.index(name) if name in preferred else 0, name))
    return plan(tuple(names[:1]), tessdata_dir)


def plan(languages: tuple[str, ...], tessdata_dir: str | None) -> tuple[Path, str] | None:
    """A folder and a Tesseract language string (`eng+deu`) for the installed ones of `languages`.

    Tesseract reads all languages of one run from one folder: the folder holding most of them wins.
    """
    available = installed(tessdata_dir)
    usable = [lang for lang in languages if lang in available]
    if not usable:
        return None
    folders = [available[lang] for lang in usable]
    folder = max(folders, key=folders.count)
    return folder, "+".join(lang for lang in usable if available[lang] == folder)


def tesseract_name(iso639_1: str | None) -> str | None:
    return TESSERACT_NAMES.get(iso639_1 or "")


def image_count(data: bytes) -> int:
    return len(_IMAGE_XOBJECT.findall(data))


def ocr_budget_seconds(data: bytes, options: PipelineOptions) -> float:
    """Time OCR may add to a file's timeout: `ocr_page_timeout_seconds` per page image, up to `ocr_max_pages`.

    Born-digital files without images get nothing extra, so a hung parse still dies at `file_timeout_seconds`.
    """
    return images_budget_seconds(image_count(data) if options.ocr != "off" else 0, options)


def images_budget_seconds(images: int, options: PipelineOptions) -> float:
    """`ocr_budget_seconds` of a file with `images` page images."""
    if options.ocr == "off":
        return 0.0
    return options.ocr_page_timeout_seconds * min(images, options.ocr_max_pages)


class ImageCounter:
    """`image_count` of a file's first `limit` bytes, fed in chunks: the daemon counts while it hashes an
    input, in one read, and never holds a whole input (up to `max_file_bytes`) in memory.

    A match is counted in the window where it starts before the last `_SCAN_OVERLAP` bytes; those bytes
    are carried into the next window, where a match cut by the chunk boundary is found whole."""

    def __init__(self, limit: int) -> None:
        self._left = limit
        self._counted = 0
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        if self._left <= 0:
            return
        chunk = chunk[: self._left]
        self._left -= len(chunk)
        window = self._carry + chunk
        cut = max(0, len(window) - _SCAN_OVERLAP)
        self._counted += sum(1 for match in _IMAGE_XOBJECT.finditer(window) if match.start() < cut)
        self._carry = window[cut:]

    @property
    def count(self) -> int:
        return self._counted + len(_IMAGE_XOBJECT.findall(self._carry))
