"""PDF bytes → the clean text of each page, its title, the pages read by OCR and warnings.

The stage order: text layer per page → per-page verdict (usable, scan, garbage) → OCR of the pages that
need it → language → cleaning → title. The language detector is a parameter, so the document-language
module can be passed in; the OCR language follows it where its data is installed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

import pypdfium2 as pdfium

from toridaemon.pipeline.language import detect_language
from toridaemon.pipeline.options import PipelineOptions
from toridaemon.pipeline.text import ocr, tessdata
from toridaemon.pipeline.text.clean import (
    SOFT_HYPHENS,
    clean_page,
    drop_running_lines,
    known_words,
    lost_ligatures_likely,
)
from toridaemon.pipeline.text.extract import LayerPage, layer_page, metadata_title, open_document, visible_chars
from toridaemon.pipeline.text.quality import Verdict, garbled_script, is_garbage, verdict
from toridaemon.pipeline.text.title import SOFT_HYPHEN, Line, choose_title

Detector = Callable[[str], "str | None"]
Plan = tuple[Path, str]  # a tessdata folder and a Tesseract language string
# Readable text: a word of three letters ("Invoice 4711", "Hello World"), or this many letters in all (two-letter
# words, a short Chinese text). OCR of a blank or photographed page gives stray marks ("ee", "i Il") or nothing.
_MIN_LETTERS = 20
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]{3}")
_WORDISH = re.compile(r"[^\W_]{2}")  # a text-layer line worth keeping holds two letters or digits in a row


@dataclass(frozen=True, slots=True)
class DocumentText:
    pages: list[str]
    title: str | None
    language: str | None
    ocr_pages: list[int] = field(default_factory=list)  # 1-based
    ocr_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


# A reading kept at a lower mean word confidence (upright or turned, see `ocr.recognize`) is no text: a script
# whose Tesseract data is not installed (Arabic, Korean read with English data: 31 to 36 on whole pages of it) or
# an image of no text read as letters. Latin-script corpus pages scanned at 100 to 300 dpi, blurred, turned or
# dusty read at 54 to 94; pages of English beside another script at 40 to 56, and keep their reading.
UNREADABLE_CONFIDENCE = 40
# A reading at least this confident is in its page's script, and no script detection is asked (0.4 to 0.8 s a page).
# Whole pages read in the wrong script's data, at 200 and 300 dpi in three fonts: Russian, Greek and Hebrew with
# English data 25 to 54, English with Russian or Greek data 25 to 50; in the right one 77 to 95. The corpus's
# Latin scans read with English data at 54 to 94 (blurred, dusty or at 150 dpi lowest), and some are asked.
RIGHT_SCRIPT_CONFIDENCE = 70
_SCRIPT_ASKS = 3  # pages of a document whose script detection changed nothing, at most (0.4 to 1.4 s each)
# A page script detection finds in a script no data is installed for is told (`ocr_script_unavailable`) when few of
# its reading's words (three letters or more) are common words of the planned languages and no language is told
# from it. Whole pages read with English data: Greek, Russian, Ukrainian and Hebrew at 40 to 50 held 1 to 11 % of
# them, the language detector unsure of all (py3langid: "zxx", no linguistic content, or under 0.5); poor Latin
# scans (blurred, dusty, 100 to 150 dpi) at 38 to 55 held 51 to 69 %. Korean read so held 22 to 48 % (short
# "words": "asa", "soto", "base").
_KNOWN_WORD_SHARE = 0.25
_LONG_WORD = re.compile(r"[^\W\d_]{3,}")
_USABLE: tuple[Verdict, ...] = ("ok", "garbled")  # a text layer that stands when OCR did not finish its page
_ISO_NAMES = {name: code for code, name in reversed(tessdata.TESSERACT_NAMES.items())}


@dataclass(slots=True)
class _OcrRun:
    texts: dict[int, str] = field(default_factory=dict)
    unfinished: set[int] = field(default_factory=set)  # pages whose reading ran out of time
    first_lines: tuple[Line, ...] | None = None  # the lines atop page 1 as read, if it was read
    seconds: float = 0.0
    warnings: set[str] = field(default_factory=set)


def read_document(
    data: bytes, options: PipelineOptions, detect: Detector = detect_language, *, name: str | None = None,
    started: float | None = None,
) -> DocumentText:
    """Text, title and OCR report of a PDF given as bytes; raises `PipelineError` for bad input. `started`: when
    the job began (monotonic clock), from which the daemon's timeout runs; now when not given."""
    started = time.monotonic() if started is None else started
    pdf = open_document(data, options)
    try:
        layer = [layer_page(pdf, index) for index in range(len(pdf))]
        verdicts = [verdict(page) for page in layer]
        wanted = _ocr_wanted(verdicts, layer, options)
        run = _ocr(pdf, wanted, options, detect, _ocr_deadline(started, data, options)) if wanted else _OcrRun()
        metadata = metadata_title(pdf)
    finally:
        pdf.close()
    texts = [_page_text(verdicts[i], page.text, run.texts.get(i), finished=i not in run.unfinished)
             for i, page in enumerate(layer)]
    for index in [i for i in run.texts if verdicts[i] in _USABLE and i in run.unfinished]:
        del run.texts[index]  # its usable layer stood (see `_page_text`): no text of this page is OCR's
        if index == 0:
            run.first_lines = None  # nor are its lines
    warnings = set(run.warnings)
    if any(v == "garbage" and i not in run.texts for i, v in enumerate(verdicts)):
        warnings.add("garbage_text_dropped")
    if any(v == "garbled" and i not in run.texts for i, v in enumerate(verdicts)):
        warnings.add("garbled_text_kept")
    if options.ocr == "off" and ("scan" in verdicts or "stamped" in verdicts):  # a page image nobody read
        warnings.add("scan_not_read")
    lines, sizes_read = _title_lines(layer, verdicts, run)
    stem = Path(name).stem if name else None
    return finish(texts, detect, metadata=metadata, lines=lines, sizes_read=sizes_read, run=run, warnings=warnings,
                  file_stem=stem)


def _title_lines(layer: list[LayerPage], verdicts: list[Verdict], run: _OcrRun) -> tuple[list[Line] | None, bool]:
    """The lines atop page 1 to tell its title from, and whether their sizes were read by OCR: page 1's fonts where
    its text layer is fine (OCR may still have read it, when forced) or garbled and not read, else the sizes OCR
    read, if it read it."""
    if not layer:
        return None, False
    if verdicts[0] == "ok" or (verdicts[0] == "garbled" and 0 not in run.texts):  # the layer read
        return list(layer[0].top_lines), False
    if run.first_lines is not None:
        return list(run.first_lines), True
    return None, False


def finish(
    texts: list[str],
    detect: Detector,
    *,
    metadata: str | None = None,
    lines: list[Line] | None = None,
    sizes_read: bool = False,
    run: _OcrRun | None = None,
    warnings: set[str] | None = None,
    file_stem: str | None = None,
) -> DocumentText:
    """Clean pages of text (from a PDF or given as text) and pick the title; `sizes_read`: the sizes of `lines`
    were read by OCR, not given by fonts."""
    # The whole text: the detector samples slices spread over it (a front page or an abstract may be in another
    # language than the body).
    language = detect("\n".join(texts))
    ligatures = lost_ligatures_likely(texts[:3], language)  # decided once: the repair costs a pass per page
    pages = drop_running_lines([clean_page(text, language, ligatures=ligatures) for text in texts])
    if lines:  # the title is read from the same text layer, with the same artefacts ("f¨ur", "Exaⅿpⅼe")
        lines = [replace(line, text=_clean_line(line.text, language, ligatures)) for line in lines]
    warnings = set(warnings or ())
    if not _readable(pages):
        warnings.add("no_text")
    run = run or _OcrRun()
    return DocumentText(
        pages=pages,
        title=choose_title(metadata, lines, pages, file_stem, sizes_read=sizes_read),
        language=language,
        ocr_pages=sorted(index + 1 for index in run.texts),
        ocr_seconds=run.seconds,
        warnings=sorted(warnings),
    )


def _clean_line(text: str, language: str | None, ligatures: bool) -> str:
    """A title line cleaned as the page is; a soft hyphen at its end stays (as U+00AD) for the title to join the
    next line on: "Interna-" / "tional Relations"."""
    hyphenated = text.endswith(SOFT_HYPHENS)
    cleaned = " ".join(clean_page(text[:-1] if hyphenated else text, language, ligatures=ligatures).split())
    return cleaned + SOFT_HYPHEN if hyphenated and cleaned else cleaned


def _readable(pages: list[str]) -> bool:
    """A word of three letters, or at least `_MIN_LETTERS` letters in the document (stops counting there)."""
    if any(_WORD.search(page) for page in pages):
        return True
    found = 0
    for page in pages:
        found += sum(1 for _ in islice(_LETTER.finditer(page), _MIN_LETTERS - found))
        if found >= _MIN_LETTERS:
            return True
    return False


def _page_text(verdict: str, layer: str, read: str | None, *, finished: bool = True) -> str:
    """A page's text: what OCR read, else its text layer (none for garbage); a usable or garbled layer stands when
    the reading ran out of time. A scan's OCR text gets the lines of its text layer it did not read (a stamp,
    a Bates number): they are real text, and OCR may miss them (white on a photo, tiny type)."""
    if read is None or (verdict in _USABLE and not finished):
        return "" if verdict == "garbage" else layer
    if verdict not in ("stamped", "scan"):
        return read
    seen = set(read.casefold().split())
    missed = [line for line in layer.splitlines()
              if _WORDISH.search(line) and not is_garbage(line, visible_chars(line))
              and not set(line.casefold().split()) <= seen]
    return "\n".join([read, *missed]) if missed else read


def _ocr_wanted(verdicts: Sequence[str], layer: Sequence[LayerPage], options: PipelineOptions) -> list[int]:
    """The pages to read with OCR: scans, stamped scans and garbage; a garbled page where OCR reads its script (read
    in another's letters, Devanagari with English data, it gave "ae, oe, fea" where its text layer had most words
    right)."""
    if options.ocr == "off":
        return []
    if options.ocr == "force":
        return list(range(len(verdicts)))
    return [index for index, kind in enumerate(verdicts) if kind in ("scan", "stamped", "garbage")
            or (kind == "garbled" and _script_readable(layer[index].text, options))]


def _script_readable(text: str, options: PipelineOptions) -> bool:
    script = garbled_script(text)
    return script is not None and tessdata.reads_script(script, options.ocr_languages, options.tessdata_dir)


def _ocr_deadline(started: float, data: bytes, options: PipelineOptions) -> float:
    """The last moment OCR starts a page other than the first (monotonic clock). The daemon ends a job at
    `file_timeout_seconds` plus `ocr_page_timeout_seconds` for each page image its bytes hold; a page started now
    may take one page timeout, and what comes after OCR keeps a quarter of `file_timeout_seconds`. OCR had only
    the images' share, so a scan of inline images (none counted) or `ocr: force` on a born-digital file stopped
    after one page timeout, whatever `file_timeout_seconds` was. The first page is read whatever the clock says,
    as before."""
    ends = started + tessdata.ocr_budget_seconds(data, options) + options.file_timeout_seconds
    return ends - options.ocr_page_timeout_seconds - options.file_timeout_seconds / 4


def _ocr(
    pdf: pdfium.PdfDocument, wanted: list[int], options: PipelineOptions, detect: Detector, deadline: float
) -> _OcrRun:
    """OCR the `wanted` pages within the page limit and the file's time (see `_ocr_deadline`)."""
    run = _OcrRun()
    planned = tessdata.plan(options.ocr_languages, options.tessdata_dir)
    if planned is None:
        run.warnings.add("ocr_unavailable")
        return run
    if len(wanted) > options.ocr_max_pages:
        run.warnings.add("ocr_incomplete")
    follow = _Following(planned, deadline)
    for index in wanted[: options.ocr_max_pages]:
        if index != wanted[0] and time.monotonic() >= deadline:
            run.warnings.add("ocr_incomplete")
            break
        try:
            result = _read_page(pdf, index, follow.plan, options, run)
            if follow.fruitless_asks < _SCRIPT_ASKS and result.text.strip():
                result = _follow_script(pdf, index, result, follow, options=options, run=run)
            if not follow.told:  # the first page read with words tells the language (a blank back tells none)
                result = _follow_language(pdf, index, result, follow, options=options, detect=detect, run=run)
        except ocr.OcrUnavailable:
            run.warnings.add("ocr_unavailable")
            break
        except ocr.OcrPageFailed:  # that page is skipped; the others are still read
            run.warnings.add("ocr_page_failed")
            continue
        _note(run, index, result)
    return run


def _read_page(pdf: pdfium.PdfDocument, index: int, planned: Plan, options: PipelineOptions, run: _OcrRun
               ) -> ocr.OcrPage:
    """One reading of page `index`, its time counted in `run`."""
    folder, languages = planned
    page = pdf[index]
    try:
        result = ocr.recognize(page, folder=folder, languages=languages, dpi=options.ocr_dpi,
                               timeout_seconds=options.ocr_page_timeout_seconds, title_lines=index == 0)
    finally:
        page.close()
    run.seconds += result.seconds
    return result


def _note(run: _OcrRun, index: int, result: ocr.OcrPage) -> None:
    """Keep the reading of page `index` in `run`. One below `UNREADABLE_CONFIDENCE` is no text: the page keeps
    its text layer unless that is garbage, as if OCR had not read it, and page 1's lines tell no title ("COW JS
    oe dl IS oy 8" of a page of Arabic read with English data)."""
    if result.timed_out:
        run.warnings.add("ocr_page_timeout")
        run.unfinished.add(index)
    if _unreadable(result):
        run.warnings.add("ocr_unreadable")
        return
    run.texts[index] = result.text
    if index == 0:
        run.first_lines = result.lines


@dataclass(slots=True)
class _Following:
    """The languages a document's pages are read in (`plan`), and what the readings so far settled of its script
    and its language. Past `deadline` (see `_ocr_deadline`) no page is read again."""

    plan: Plan
    deadline: float
    home: Plan | None = None  # the plan left for another script: configured, or of the language followed
    fruitless_asks: int = 0  # pages whose script detection changed nothing (named no script, or the one read in)
    told: bool = False  # a reading in the current plan's script told the document's language

    def switch(self, plan: Plan) -> None:
        """Read the next pages in `plan`, of another script, and tell the language anew."""
        if self.home is None or _script(self.plan) == _script(self.home):
            self.home = self.plan
        self.plan, self.told = plan, False


def _script(plan: Plan) -> str | None:
    """The script of a plan's first language."""
    return tessdata.script_of(plan[1].split("+")[0])


def _follow_script(
    pdf: pdfium.PdfDocument, index: int, first: ocr.OcrPage, follow: _Following, *, options: PipelineOptions,
    run: _OcrRun,
) -> ocr.OcrPage:
    """The page's reading to go on with, and `follow.plan` for the next pages: the page read again in a language of
    its script (`tessdata.script_plan`) when Tesseract's script detection finds it written in one that no planned
    language is, data for one is installed, and that reading is sure (`RIGHT_SCRIPT_CONFIDENCE`) and more
    confident. A language is told from a reading's words, and letters read in the wrong script are words of no
    language: a Greek or Russian scan read with English data stayed garbage (or no text) with their data
    installed. When no data for that script is installed (`tessdata.without_data`) and the reading's letters make
    no words (`_no_words`), the warning `ocr_script_unavailable` says so: letters of another script read at 40 to
    54 as English passed for text ("PWC OTO KOKKWO Kl"), unnoticed. The reading stays: script detection names
    Latin pages other scripts now and then, and such a page in a language the detector is unsure of (Azerbaijani
    at 0.48) or a table of figures reads like those letters.
    Asked after each reading under `RIGHT_SCRIPT_CONFIDENCE` that finished (an English cover page reads sure, the
    Russian pages after it do not; a German page after Russian ones, read with Russian data, does not either),
    until `_SCRIPT_ASKS` pages changed nothing (a stamp or a photo names no script; a poor scan names the one it
    is read in). A change of script lets the language be told again."""
    if first.confidence >= RIGHT_SCRIPT_CONFIDENCE or first.timed_out or time.monotonic() >= follow.deadline:
        return first
    folder = tessdata.script_data(options.tessdata_dir)
    if folder is None:
        return first
    try:
        found = _script_of(pdf, index, folder, options, run)
    except ocr.OcrUnavailable:  # the script detection data does not load (a truncated file): no use asking again
        run.warnings.add("ocr_language_unavailable")
        follow.fruitless_asks = _SCRIPT_ASKS
        return first
    script = tessdata.script_named(found) if found is not None else None
    if (script is not None and tessdata.without_data(script, follow.plan[1], options.tessdata_dir)
            and _no_words(first.text, follow.plan[1])):
        run.warnings.add("ocr_script_unavailable")
    switched = _read_in_its_script(pdf, index, first, script, follow=follow, options=options, run=run)
    if switched is None:
        follow.fruitless_asks += 1
        return first
    follow.switch(switched[0])
    return switched[1]


def _read_in_its_script(
    pdf: pdfium.PdfDocument, index: int, first: ocr.OcrPage, script: str | None, *, follow: _Following,
    options: PipelineOptions, run: _OcrRun,
) -> tuple[Plan, ocr.OcrPage] | None:
    """The plan of `script`, the page's as script detection names it, if installed data of it is written in no
    planned language's script, and the page's reading in it, if sure and more confident than `first`; None
    otherwise. Back in the script of the plan left (`follow.home`), that plan is read in, and a reading that is not
    unreadable will do: the sureness guards against scripts named wrongly, and a poor German scan reads at 60 in
    German data."""
    others = tessdata.other_scripts(follow.plan[1], options.tessdata_dir)
    if script not in others or time.monotonic() >= follow.deadline:
        return None
    home = follow.home is not None and script == _script(follow.home)
    better = follow.home if home else tessdata.script_plan(script, follow.plan[1], options.ocr_languages,
                                                             options.tessdata_dir)
    again = _read_again(pdf, index, better, options, run) if better is not None else None
    if (better is None or again is None or again.timed_out or not again.text.strip()
            or again.confidence < (UNREADABLE_CONFIDENCE if home else RIGHT_SCRIPT_CONFIDENCE)
            or again.confidence <= first.confidence):
        return None
    return better, again


def _no_words(text: str, languages: str) -> bool:
    """Whether a reading is letters that make no words: fewer than `_KNOWN_WORD_SHARE` of them are common words of
    `languages` ("eng+deu"), and no language is told from them (a Polish or Finnish page read with English data is
    words, none of them English). The detector itself, not the document's (a fixed `language` setting says
    nothing of whether these letters make words)."""
    return _few_known_words(text, languages) and detect_language(text) is None


def _few_known_words(text: str, languages: str) -> bool:
    """Whether fewer than `_KNOWN_WORD_SHARE` of the words of `text` are common words of `languages`; False when
    none of them has a word list to tell by."""
    lists = [known for name in languages.split("+") if (known := known_words(_ISO_NAMES.get(name, "")))]
    words = [word.lower() for word in _LONG_WORD.findall(text)]
    if not lists or not words:
        return False
    return sum(any(word in known for known in lists) for word in words) < _KNOWN_WORD_SHARE * len(words)


def _script_of(pdf: pdfium.PdfDocument, index: int, folder: Path, options: PipelineOptions, run: _OcrRun
               ) -> str | None:
    """The script of page `index` as Tesseract's script detection names it, its time counted in `run`; None when
    it tells none or the page cannot be read; raises `ocr.OcrUnavailable` when its data does not load."""
    page = pdf[index]
    started = time.perf_counter()
    try:
        return ocr.detect_script(page, folder=folder, dpi=options.ocr_dpi)
    except ocr.OcrPageFailed:
        return None
    finally:
        page.close()
        run.seconds += time.perf_counter() - started


def _follow_language(
    pdf: pdfium.PdfDocument, index: int, first: ocr.OcrPage, follow: _Following, *, options: PipelineOptions,
    detect: Detector, run: _OcrRun,
) -> ocr.OcrPage:
    """The page's reading to go on with, and `follow.plan` for the next pages, once the `first` reading tells a
    language (`follow.told`): the page read again in the detected language when its data is installed and it is
    not read in yet, with the planned languages of other scripts after it (a Russian text quoting English words).
    A reading again that ran out of time does not replace a whole first one (a cut-off reading was kept, the rest
    of the page lost), nor does one of no text replace text (a language misread from a page in another script)."""
    code = detect(first.text)
    if code is None:
        return first
    follow.told = True
    detected = tessdata.tesseract_name(code)
    if detected is None or detected in follow.plan[1].split("+") or time.monotonic() >= follow.deadline:
        return first
    better = tessdata.led_by(detected, follow.plan[1], options.tessdata_dir)
    if better is None:  # that language's data is not installed: keep what we have
        return first
    again = _read_again(pdf, index, better, options, run)
    if again is None or (_unreadable(again) and not _unreadable(first)):  # or the language was misread
        return first
    follow.plan = better
    return first if again.timed_out and not first.timed_out else again


def _read_again(pdf: pdfium.PdfDocument, index: int, better: Plan, options: PipelineOptions, run: _OcrRun
                ) -> ocr.OcrPage | None:
    """The page read again in the `better` plan (its script's or its language's); None when that cannot be done
    (the reading we have stands)."""
    try:
        return _read_page(pdf, index, better, options, run)
    except ocr.OcrUnavailable:  # installed but not loadable (a truncated file)
        run.warnings.add("ocr_language_unavailable")
    except ocr.OcrPageFailed:
        pass
    return None


def _unreadable(result: ocr.OcrPage) -> bool:
    """A reading below `UNREADABLE_CONFIDENCE`: no text (see `_note`)."""
    return result.confidence < UNREADABLE_CONFIDENCE and bool(result.text.strip())
