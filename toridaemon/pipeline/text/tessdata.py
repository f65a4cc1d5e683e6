"""Where Tesseract's language data lives, which languages are installed, and the OCR time budget of a file.

Search order for `<lang>.traineddata`: the `tessdata_dir` setting, `$TESSDATA_PREFIX`, the virtualenv's
`share/tessdata` (English and German, installed pinned by `make run`/`make test` from the `tessdata-fast-*` wheels),
then Debian's `tesseract-ocr-<lang>` folders. A reading's first language is used from the first folder that has
it, and its other languages from the same folder (Tesseract reads one run's languages from one folder).
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
# The scripts Tesseract's script detection (`osd`) tells, with the languages written in each, the most widely written
# first (the order `script_plan` takes them in), then Tesseract's data for the whole script when a folder holds it
# at its top. Every name not listed here is taken for Latin, but for the languages and script data of scripts
# script detection does not tell (Georgian, Armenian, Ethiopic, ...) and data that is no language.
_SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("rus", "ukr", "bul", "srp", "bel", "kaz", "mkd", "kir", "tgk", "tat", "mon", "uzb_cyrl", "aze_cyrl",
                 "Cyrillic"),
    "Greek": ("ell", "grc", "Greek"),
    "Arabic": ("ara", "fas", "urd", "pus", "uig", "snd", "Arabic"),
    "Hebrew": ("heb", "yid", "Hebrew"),
    "Han": ("chi_sim", "chi_tra", "chi_sim_vert", "chi_tra_vert", "HanS", "HanT", "HanS_vert", "HanT_vert"),
    "Japanese": ("jpn", "jpn_vert", "Japanese", "Japanese_vert"),
    "Korean": ("kor", "kor_vert", "Hangul", "Hangul_vert"),
    "Devanagari": ("hin", "mar", "nep", "san", "Devanagari"),
    "Bengali": ("ben", "asm", "Bengali"),
    "Tamil": ("tam", "Tamil"),
    "Telugu": ("tel", "Telugu"),
    "Kannada": ("kan", "Kannada"),
    "Malayalam": ("mal", "Malayalam"),
    "Thai": ("tha", "Thai"),
}
# Scripts script detection does not tell, with their languages and Tesseract's data for the whole script.
_UNTOLD_SCRIPTS: dict[str, tuple[str, ...]] = {
    "Armenian": ("hye", "Armenian"), "Canadian_Aboriginal": ("iku", "Canadian_Aboriginal"),
    "Cherokee": ("chr", "Cherokee"), "Ethiopic": ("amh", "tir", "Ethiopic"), "Georgian": ("kat", "kat_old", "Georgian"),
    "Gujarati": ("guj", "Gujarati"), "Gurmukhi": ("pan", "Gurmukhi"), "Khmer": ("khm", "Khmer"), "Lao": ("lao", "Lao"),
    "Myanmar": ("mya", "Myanmar"), "Oriya": ("ori", "Oriya"), "Sinhala": ("sin", "Sinhala"),
    "Syriac": ("syr", "Syriac"), "Thaana": ("div", "Thaana"), "Tibetan": ("bod", "dzo", "Tibetan"),
}
_UNTOLD = frozenset({"equ"}.union(*_UNTOLD_SCRIPTS.values()))  # and math equations, no script
_SCRIPTS: dict[str, str] = {name: script for script, names in _SCRIPT_LANGUAGES.items() for name in names}
# Names script detection gives besides those above: the scripts of its own data, as Japanese and Korean are written,
# and blackletter (German in Fraktur, which Latin data reads).
_SCRIPT_ALIASES = {"Hangul": "Korean", "Hiragana": "Japanese", "Katakana": "Japanese", "Fraktur": "Latin"}
SCRIPT_DATA = "osd"
_LATIN_FIRST = ("eng",)  # the order of `script_plan` for Latin: English, then the others by name
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
def data_folders(tessdata_dir: str | None) -> dict[str, tuple[Path, ...]]:
    """Data name (a language, or `osd`) → the folders holding it, in search order (cached per process: installs
    need a restart). A folder that cannot be listed (its permissions, a name too long) is skipped."""
    found: dict[str, list[Path]] = {}
    for folder in search_dirs(tessdata_dir):
        try:
            # Regular files only (links to them too): Tesseract's Init opening a FIFO of that name waited for a
            # writer for ever, outside any page timeout.
            names = sorted(entry.name for entry in folder.iterdir()
                           if entry.name.endswith(".traineddata") and entry.is_file())
        except OSError:
            continue
        for name in names:
            found.setdefault(name.removesuffix(".traineddata"), []).append(folder)
    return {name: tuple(folders) for name, folders in found.items()}


def installed(tessdata_dir: str | None) -> dict[str, Path]:
    """Language name → the first folder holding its data."""
    return {name: folders[0] for name, folders in data_folders(tessdata_dir).items() if name != SCRIPT_DATA}


def script_data(tessdata_dir: str | None) -> Path | None:
    """The first folder holding Tesseract's script detection data (`osd.traineddata`)."""
    return data_folders(tessdata_dir).get(SCRIPT_DATA, (None,))[0]


def script_of(language: str) -> str | None:
    """The script `language` (a Tesseract data name) is written in, as script detection names it; None for one it
    does not tell."""
    return None if language in _UNTOLD else _SCRIPTS.get(language, "Latin")


def other_scripts(languages: str, tessdata_dir: str | None) -> set[str]:
    """The scripts of installed languages that none of `languages` ("eng+deu") is written in."""
    planned = {script_of(name) for name in languages.split("+")}
    return {script for name in installed(tessdata_dir) if (script := script_of(name)) and script not in planned}


def without_data(script: str, languages: str, tessdata_dir: str | None) -> bool:
    """Whether a page script detection finds written in `script` (as `script_named` gives it) is in a script no
    installed language is written in, of those it tells, while each of `languages` ("eng+deu") is written in
    another script it tells: read in `languages`, its letters are read as another script's."""
    planned = {script_of(name) for name in languages.split("+")}
    told = script in _SCRIPT_LANGUAGES or script == "Latin"
    if not told or None in planned or script in planned:
        return False
    return script not in other_scripts(languages, tessdata_dir)


def reads_script(script: str, planned: tuple[str, ...], tessdata_dir: str | None) -> bool:
    """Whether OCR reads a page written in `script` (as `language.scripts.script` names it: "Devanagari",
    "Gujarati") in a language of it: one of `planned` (the `ocr_languages`, read first) that is installed, or any
    installed one where script detection, which switches to it, is installed too and tells that script."""
    named = script_named(script)
    told = _SCRIPT_LANGUAGES.get(named)
    own = told or _UNTOLD_SCRIPTS.get(named, ())
    if named == "Han":  # Japanese and Korean data read kanji and hanja
        own = (*own, *_SCRIPT_LANGUAGES["Japanese"], *_SCRIPT_LANGUAGES["Korean"])
    found = installed(tessdata_dir)
    if any(name in own and name in found for name in planned):
        return True
    return told is not None and script_data(tessdata_dir) is not None and any(name in own for name in found)


def script_named(found: str) -> str:
    """The script of `script_of` that script detection's `found` names."""
    return _SCRIPT_ALIASES.get(found, found)


def script_plan(script: str, planned: str, preferred: tuple[str, ...], tessdata_dir: str | None
                ) -> tuple[Path, str] | None:
    """A plan for a page found written in `script` (as `script_of` names it), none of `planned` is written in: one
    installed language of it, `led_by` it. The language is the first of `preferred` so written, else the most
    widely written of the script's (Russian for Cyrillic, English for Latin; `_SCRIPT_LANGUAGES` is in that
    order), else the first by name. Reading the page in it tells its language, which is then followed as after any
    reading."""
    order = _SCRIPT_LANGUAGES.get(script, _LATIN_FIRST)

    def rank(name: str) -> tuple[int, int, str]:
        return (preferred.index(name) if name in preferred else len(preferred),
                order.index(name) if name in order else len(order), name)

    names = sorted((name for name in installed(tessdata_dir) if script_of(name) == script), key=rank)
    if not names:
        return None
    return led_by(names[0], planned, tessdata_dir)


def led_by(language: str, planned: str, tessdata_dir: str | None) -> tuple[Path, str] | None:
    """A plan in `language`, with the languages of `planned` ("rus+eng") written in other scripts after it where the
    same folder holds them (a Russian text quoting English words); None when `language` is not installed."""
    script = script_of(language)
    others = [name for name in planned.split("+") if script_of(name) != script]
    return plan((language, *others), tessdata_dir, first=True)


def plan(languages: tuple[str, ...], tessdata_dir: str | None, *, first: bool = False) -> tuple[Path, str] | None:
    """A folder and a Tesseract language string (`eng+deu`) for the installed ones of `languages`; `first`: None
    unless the first of them is installed.

    Tesseract reads all languages of one run from one folder: the first installed language is read from the first
    folder holding it (`tessdata_dir` first), and the others join it where that folder holds them."""
    folders = data_folders(tessdata_dir)
    usable = [lang for lang in languages if lang in folders and lang != SCRIPT_DATA]
    if not usable or (first and usable[0] != languages[0]):
        return None
    folder = folders[usable[0]][0]
    return folder, "+".join(dict.fromkeys(lang for lang in usable if folder in folders[lang]))


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
        window = self._carry + chunk if self._carry else chunk  # a file of one chunk is not copied whole
        cut = max(0, len(window) - _SCAN_OVERLAP)
        self._counted += sum(1 for match in _IMAGE_XOBJECT.finditer(window) if match.start() < cut)
        self._carry = window[cut:]

    @property
    def count(self) -> int:
        return self._counted + len(_IMAGE_XOBJECT.findall(self._carry))
