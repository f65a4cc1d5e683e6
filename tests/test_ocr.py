"""OCR end to end on real generated scans: pages rendered to pixels, no text layer, through Tesseract."""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from pydantic import ValidationError

from tests.conftest import DaemonProcess, Dirs
from tests.pdfgen import pdf_bytes, pdf_of_objects
from tests.polling import wait_for
from tests.scangen import blank_scan, lines_scan, scan_of, scanned_text, stamped
from toridaemon import hashing
from toridaemon.pipeline import PipelineOptions, analyze_pdf
from toridaemon.pipeline.text import document, ocr, read_document, tessdata
from toridaemon.pipeline.text.extract import _image_coverage, layer_page
from toridaemon.pipeline.text.quality import verdict
from toridaemon.pipeline.text.title import Line, choose_title
from toridaemon.statemachine import hash_and_budget

PAGE_ONE = ("Graph Neural Networks for Molecules\n\nMessage passing networks learn molecular properties.\n"
            "Each atom exchanges messages with its neighbours over several rounds.")
PAGE_TWO = "The readout sums the atom states into one vector.\nWe predict solubility and toxicity from it."

needs_english = pytest.mark.skipif("eng" not in tessdata.installed(None),
                                   reason="English OCR data not installed (make test installs it)")


def _clear_data_caches() -> None:
    tessdata.data_folders.cache_clear()


@pytest.fixture
def data_only_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Called with folders, Tesseract data is searched in those only; with none, in the virtualenv's, where `make
    test` installs English, German and script detection. Which languages Debian packages add to a machine would
    change the language a scan is read in."""

    def only(*folders: Path) -> None:
        searched = folders or (Path(sys.prefix) / "share" / "tessdata",)
        monkeypatch.setattr(tessdata, "search_dirs", lambda tessdata_dir: searched)
        _clear_data_caches()

    yield only
    _clear_data_caches()  # before monkeypatch puts the search back: nothing found meanwhile stays cached


def _words(text: str) -> set[str]:
    return {word.strip(".,").lower() for word in text.split()}


@needs_english
def test_a_scan_is_read_by_ocr_page_by_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_text([PAGE_ONE, PAGE_TWO], dpi=200))
    result = analyze_pdf(path).to_dict()
    assert result["source"]["ocr_pages"] == [1, 2]
    assert result["warnings"] == []
    assert result["title"] == "Graph Neural Networks for Molecules"
    expected = _words(PAGE_ONE + " " + PAGE_TWO)
    assert len(expected & _words(" ".join(c["context"] for c in result["concepts"]) + " " + result["title"])) > 5
    assert "ocr" in result["timings_seconds"]
    assert any("message" in concept["name"] or "atom" in concept["name"] for concept in result["concepts"])


REPORT = ("Quarterly Report of the Harbour Authority\nDredging the Northern Basin\n"
          "Prepared by the planning office\nThe northern basin saw more container traffic this quarter.\n"
          "Dredging of the approach channel went on through the winter months.\n"
          "Two new berths opened for ferries and the pilot service grew.")


@needs_english
@pytest.mark.parametrize("heading_line", [0, 1])
def test_a_scans_title_is_its_line_read_larger_than_the_rest(tmp_path: Path, heading_line: int) -> None:
    """OCR reads each line's size (its x-height): the title of a scan is its largest line atop page 1, as a text
    layer's is, not merely its first line (a running head, an agency's name above the title)."""
    title = REPORT.splitlines()[heading_line]
    path = tmp_path / "scan.pdf"
    path.write_bytes(scan_of(pdf_bytes([REPORT], heading_size=20.0, heading_line=heading_line), dpi=200))
    result = analyze_pdf(path).to_dict()
    assert result["source"]["ocr_pages"] == [1]
    assert result["title"] == title


def test_lines_read_alike_leave_the_first_line_as_a_scans_title() -> None:
    """Sizes read by OCR that set no line apart tell nothing (a letter, a form): the first line of words is the
    title, as when page 1's sizes are unknown; a text layer's sizes that set no line apart mean no title."""
    lines = [Line(text, 11.0 + 0.1 * index, 40.0 + 14 * index) for index, text in enumerate(REPORT.splitlines())]
    pages = [REPORT]
    assert choose_title(None, lines, pages, sizes_read=True) == REPORT.splitlines()[0]
    assert choose_title(None, lines, pages) is None
    assert choose_title(None, None, pages) == REPORT.splitlines()[0]


@needs_english
@pytest.mark.parametrize("stamp", ["Scanned by CamScanner", "CONFIDENTIAL ACME-000123"])
def test_a_scan_carrying_a_stamp_in_real_text_is_read_by_ocr(tmp_path: Path, stamp: str) -> None:
    """A scanner app's footer or a Bates number is real text: with 16 characters or more the page counted as a
    text page, was never OCR'd, and its words were lost (no concept, no warning)."""
    path = tmp_path / "stamped.pdf"
    path.write_bytes(stamped(scanned_text([PAGE_ONE, PAGE_TWO], dpi=200), stamp))
    result = analyze_pdf(path).to_dict()
    assert result["source"]["ocr_pages"] == [1, 2]
    assert result["title"] == "Graph Neural Networks for Molecules"
    assert any("message" in concept["name"] or "atom" in concept["name"] for concept in result["concepts"])


def test_short_text_over_a_page_image_is_kept_when_it_covers_more_than_a_stamp() -> None:
    """A slide's title over a full-bleed picture is its text: no OCR for it. Nor a page of short text whose image
    covers little of it."""
    picture = blank_scan(dpi=50)  # a page-sized image
    for data in (stamped(picture, "Thank you for listening", size=40.0, at=(40.0, 400.0)),
                 stamped(pdf_bytes(["Results\nSee the figure."]), "Figure 3: the closing remarks")):
        document = read_document(data, PipelineOptions())
        assert document.ocr_pages == [], document.ocr_pages


@needs_english
def test_a_page_tesseract_gives_up_on_is_skipped_with_a_warning(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A 20000 x 20000 px page needs more than the worker's 2 GiB: Tesseract then raises "Failed to recognize"
    (the file failed as internal_error). That page takes minutes and gigabytes, so Tesseract's refusal is
    simulated here on page 1 of a real scan; page 2 is read by the real engine."""
    real_api = ocr._ENGINE.api
    refusals = [RuntimeError("Failed to recognize. No image set?")]

    class Refusing:
        def __init__(self, api: object) -> None:
            self._api = api

        def __getattr__(self, name: str) -> object:
            return getattr(self._api, name)

        def Recognize(self, timeout: int) -> bool:
            if refusals:
                raise refusals.pop()
            return bool(self._api.Recognize(timeout=timeout))  # type: ignore[attr-defined]

    monkeypatch.setattr(ocr._ENGINE, "api", lambda folder, languages: Refusing(real_api(folder, languages)))
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_text([PAGE_ONE, PAGE_TWO], dpi=200))
    result = analyze_pdf(path).to_dict()
    assert not refusals and "ocr_page_failed" in result["warnings"]
    assert result["source"]["ocr_pages"] == [2]
    assert {"readout", "solubility"} & _words(" ".join(c["context"] for c in result["concepts"]))


@needs_english
def test_ocr_text_matches_the_original_words_on_a_turned_blurred_scan() -> None:
    data = scanned_text([PAGE_ONE], dpi=300, rotate=0.7, blur=0.8)
    text = read_document(data, PipelineOptions())
    found = _words(text.pages[0])
    expected = _words(PAGE_ONE)
    assert len(found & expected) >= 0.9 * len(expected)


@needs_english
@pytest.mark.parametrize("turn", [180, 90, 270])
def test_a_sheet_scanned_upside_down_or_sideways_is_read_the_right_way_up(turn: int) -> None:
    data = scanned_text([PAGE_ONE], dpi=200, rotate=turn)
    text = read_document(data, PipelineOptions())
    expected = _words(PAGE_ONE)
    assert len(_words(text.pages[0]) & expected) >= 0.9 * len(expected)
    assert text.ocr_pages == [1] and text.warnings == []


@needs_english
@pytest.mark.parametrize("scan_dpi", [300, 200])
def test_a_speckled_scan_is_cleaned_before_it_is_read(scan_dpi: int) -> None:
    # 5 % of the pixels black dust: read as is, Tesseract finds almost nothing. A 200 dpi scan is read at the
    # default 300 dpi, where its dust is blobs: it is checked and cleaned at its own resolution.
    text = read_document(scanned_text([PAGE_ONE], dpi=scan_dpi, speckle=0.05), PipelineOptions())
    expected = _words(PAGE_ONE)
    assert len(_words(text.pages[0]) & expected) >= 0.9 * len(expected)


@needs_english
def test_dust_in_specks_of_two_by_two_pixels_is_cleaned_before_the_page_is_read() -> None:
    # 0.2 % of the pixels black in 2×2 specks: no one-pixel dust for the median filter's check to find, and
    # Tesseract read words into and out of the dust (15 of the 20 words right).
    text = read_document(scanned_text([PAGE_ONE], dpi=300, speckle=0.002, speck=2), PipelineOptions())
    expected = _words(PAGE_ONE)
    assert len(_words(text.pages[0]) & expected) >= 0.9 * len(expected)


def test_born_digital_pages_are_not_ocred() -> None:
    text = read_document(pdf_bytes([PAGE_ONE, PAGE_TWO]), PipelineOptions())
    assert text.ocr_pages == [] and text.warnings == []
    assert "Message passing" in text.pages[0]


@needs_english
def test_a_blank_scan_says_no_text() -> None:
    text = read_document(blank_scan(), PipelineOptions())
    assert text.ocr_pages == [1]
    assert text.warnings == ["no_text"]


# Debian's fonts-dejavu-core: Arabic letters, which no traineddata installed here reads.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
ARABIC = "تعتبر اللغة العربية من أكثر اللغات انتشارا في العالم"


@needs_english
@pytest.mark.skipif(not DEJAVU.exists(), reason="needs a font with Arabic letters (Debian's fonts-dejavu-core)")
def test_a_scan_in_a_script_without_ocr_data_is_unreadable_not_letters(
    tmp_path: Path, data_only_in: Callable[..., None],
) -> None:
    """Arabic read with English data gave "oe | oy | ge | dl" as concepts and "COW JS oe dl IS oy 8" as the title,
    with no warning. The reading's mean confidence (under 40) says it is no text; Latin script beside it stays."""
    data_only_in()
    scan = tmp_path / "arabic.pdf"
    scan.write_bytes(lines_scan(ARABIC, str(DEJAVU)))
    result = analyze_pdf(scan).to_dict()
    assert result["source"]["ocr_pages"] == [] and result["title"] is None and result["concepts"] == []
    assert result["warnings"] == ["no_text", "ocr_unreadable"]
    assert result["timings_seconds"]["ocr"] > 0, "the time OCR took is told, though no page's text is OCR's"
    latin = read_document(lines_scan("The English language is widely spoken", str(DEJAVU), lines=4),
                          PipelineOptions())
    assert "English language" in latin.pages[0] and latin.warnings == []


def test_ocr_off_leaves_a_scan_empty_with_a_warning() -> None:
    text = read_document(scanned_text([PAGE_ONE], dpi=100), PipelineOptions(ocr="off"))
    assert text.ocr_pages == [] and text.warnings == ["no_text", "scan_not_read"]


def test_ocr_off_says_a_scanned_page_of_a_mixed_document_was_not_read() -> None:
    """The text page gave a result with no warning at all, and the scanned page's words were silently missing."""
    mixed = pdfium.PdfDocument.new()
    for part in (pdf_bytes([PAGE_ONE]), scanned_text([PAGE_ONE], dpi=100)):
        mixed.import_pages(pdfium.PdfDocument(part))
    buffer = io.BytesIO()
    mixed.save(buffer)
    assert read_document(buffer.getvalue(), PipelineOptions(ocr="off")).warnings == ["scan_not_read"]


def test_missing_language_data_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    options = PipelineOptions(ocr_languages=("xyz",), tessdata_dir=str(tmp_path))
    text = read_document(scanned_text([PAGE_ONE], dpi=100), options)
    assert text.ocr_pages == []
    assert text.warnings == ["no_text", "ocr_unavailable"]


@needs_english
def test_force_ocrs_born_digital_pages_too() -> None:
    text = read_document(pdf_bytes([PAGE_ONE]), PipelineOptions(ocr="force", ocr_dpi=150))
    assert text.ocr_pages == [1]
    assert "passing" in text.pages[0]


@needs_english
def test_force_reads_as_many_pages_as_the_files_timeout_allows() -> None:
    """OCR had only the time its page images earned: none on a born-digital file (or a scan of inline images,
    which the byte count misses), so it stopped after one page timeout whatever `file_timeout_seconds` was."""
    # A page takes 0.15 to 0.3 s, so 24 take 3.5 to 7 s in all: over twice one page's timeout, which leaves a page
    # five times its time on a machine busy with other tests (at 1 s, three pages in a row of a loaded CI run
    # timed out).
    pages = [f"{PAGE_ONE}\nSection {n} repeats the messages." for n in range(24)]
    options = PipelineOptions(ocr="force", ocr_page_timeout_seconds=1.5, file_timeout_seconds=120)
    text = read_document(pdf_bytes(pages), options)
    assert text.ocr_seconds > options.ocr_page_timeout_seconds, "too fast to tell: the old budget held them all"
    assert "ocr_incomplete" not in text.warnings  # the file's time bounded the reading, not one page timeout
    # Every page read, unless one ran past its own timeout, which says so: with six test processes on two cores,
    # page 15 took over 1.5 s once.
    assert text.ocr_pages == list(range(1, 25)) or "ocr_page_timeout" in text.warnings


def test_ocr_stops_taking_pages_while_the_rest_still_fits_in_the_files_time() -> None:
    """The deadline for starting a page (the first is always read): the daemon's end of the job, less one page
    timeout for the page started last and a quarter of `file_timeout_seconds` for the work after OCR."""
    images = b"<< /Type /XObject /Subtype /Image /Width 9 >>" * 3
    for data, options, seconds in ((b"", PipelineOptions(), 120.0 - 30.0 - 30.0),
                                   (b"", PipelineOptions(file_timeout_seconds=1200), 1200.0 - 30.0 - 300.0),
                                   (images, PipelineOptions(), 3 * 30.0 + 60.0),
                                   (b"", PipelineOptions(file_timeout_seconds=40), 0.0)):  # the first page only
        assert document._ocr_deadline(1000.0, data, options) == pytest.approx(1000.0 + seconds)


def test_a_scanned_page_keeps_the_text_layer_lines_its_ocr_did_not_read() -> None:
    """OCR may miss a stamp (white on a photo, tiny type); its text layer held the stamp's words: they stay."""
    ocr_text = "Graph clustering groups nodes.\nScanned by CamScanner"
    assert document._page_text("stamped", "Scanned by CamScanner", ocr_text) == ocr_text  # read: not twice
    assert document._page_text("stamped", "CONFIDENTIAL\nACME-000123", "Graph clustering.") == (
        "Graph clustering.\nCONFIDENTIAL\nACME-000123")
    # Under 16 characters the page counts as a scan, not stamped: a short Bates number was lost all the same.
    assert document._page_text("scan", "ACME-000123", "Graph clustering.") == "Graph clustering.\nACME-000123"
    assert document._page_text("scan", "", "Graph clustering.") == "Graph clustering."
    for junk in ("x y", ". , l", "\ue000\ue001\ufffd"):  # no word, or an unmapped font's codes: not kept
        assert document._page_text("scan", junk, "Graph clustering.") == "Graph clustering."
    assert document._page_text("garbage", "st sq", None) == "" and document._page_text("ok", "text", None) == "text"
    # `ocr: force` on a usable text layer: a reading cut off by the page timeout does not replace it.
    assert document._page_text("ok", "Graph clustering.", "Gra", finished=False) == "Graph clustering."
    assert document._page_text("ok", "Graph clustering.", "Graph clustering", finished=True) == "Graph clustering"


def test_a_figure_with_its_caption_is_no_stamped_scan() -> None:
    """A figure covering half the page and a one-line caption in small type is a born-digital page."""
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(612, 792)
    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.new("L", (500, 600), 128)))
    image.set_matrix(pdfium.PdfMatrix().scale(540, 620).translate(36, 120))  # 69 % of the page
    page.insert_obj(image)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    with_caption = stamped(out.getvalue(), "Figure 3: results of the second run", size=9.0, at=(36.0, 100.0))
    assert read_document(with_caption, PipelineOptions()).ocr_pages == []


@needs_english
def test_ingest_gives_a_scan_the_time_its_page_images_earn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`ingest` gave every file `file_timeout_seconds` alone: a scan the daemon finishes was killed (`timeout`)."""
    from toridaemon.cli import main

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_text([PAGE_ONE, PAGE_TWO], dpi=200))
    monkeypatch.setenv("TORI_FILE_TIMEOUT_SECONDS", "0.2")  # less than the OCR of one page
    monkeypatch.setenv("TORI_MAX_PARALLEL_WORKERS", "1")
    monkeypatch.chdir(tmp_path)
    outbox = tmp_path / "out"
    assert main(["ingest", "--no-progress", "--outbox", str(outbox), str(scan)]) == 0, capsys.readouterr().err
    results = [json.loads(path.read_text()) for path in outbox.glob("scan.*.json")]
    assert [result["source"]["ocr_pages"] for result in results] == [[1, 2]]


@needs_english
def test_ocr_language_follows_the_detected_language_when_its_data_is_installed(tmp_path: Path) -> None:
    # A second language's data, made from the English one: what matters is that the run switches to it.
    english = tessdata.installed(None)["eng"] / "eng.traineddata"
    shutil.copy(english, tmp_path / "deu.traineddata")
    shutil.copy(english, tmp_path / "eng.traineddata")
    tessdata.data_folders.cache_clear()
    asked: list[str] = []

    def detect(text: str) -> str | None:
        asked.append(text)
        return "de"

    options = PipelineOptions(tessdata_dir=str(tmp_path), ocr_dpi=150)
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO], dpi=150), options, detect)
    assert text.ocr_pages == [1, 2]
    assert ocr._ENGINE._key == (tmp_path, "deu")
    assert "passing" in asked[0]  # the guess was made on the OCR text of the first page


GERMAN = ("Die Größe der Übertragungsnetze wächst\n\nDie Übertragungsnetzbetreiber müssen die Stromnetze für "
          "erneuerbare Energien ausbauen. Windkraftanlagen im Norden liefern Strom, während die Verbraucher im "
          "Süden wohnen. Die Netzbetreiber planen deshalb neue Leitungen über große Entfernungen.")


@pytest.mark.skipif(not {"eng", "deu"} <= set(tessdata.installed(None)),
                    reason="English and German OCR data not installed (make test installs both)")
def test_a_german_scan_is_read_again_with_the_german_data(tmp_path: Path) -> None:
    """Real German data: English OCR reads "Größe" as "GréRe" and "für" as "fiir"; the detected language
    switches the run to German, which reads them right."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_text([GERMAN], dpi=200))
    result = analyze_pdf(path).to_dict()
    assert result["language"] == "de"
    assert ocr._ENGINE._key is not None and ocr._ENGINE._key[1] == "deu"
    assert result["title"] == "Die Größe der Übertragungsnetze wächst"
    names = {concept["name"] for concept in result["concepts"]}
    assert {"Übertragungsnetzbetreiber", "Stromnetze"} <= names
    assert any("müssen die Stromnetze für" in concept["context"] for concept in result["concepts"])


@pytest.mark.skipif(not {"eng", "deu"} <= set(tessdata.installed(None)),
                    reason="English and German OCR data not installed (make test installs both)")
def test_a_reading_again_in_the_detected_language_that_runs_out_of_time_keeps_the_whole_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The German reading again, cut off by the page timeout, replaced a whole English one: the rest of page 1 was
    lost. Whether Tesseract runs out of time cannot be arranged with real timing, so its answers are scripted here:
    a whole first reading, then a cut-off one."""
    readings = iter([ocr.OcrPage(text=GERMAN, seconds=1.0, timed_out=False),
                     ocr.OcrPage(text=GERMAN[:40], seconds=2.0, timed_out=True)])
    monkeypatch.setattr(ocr, "recognize", lambda *args, **kwargs: next(readings))
    text = read_document(scanned_text([GERMAN], dpi=100), PipelineOptions())
    assert "Entfernungen" in text.pages[0] and text.ocr_pages == [1]
    assert "ocr_page_timeout" not in text.warnings and text.ocr_seconds == 3.0


@pytest.mark.skipif(not {"eng", "deu"} <= set(tessdata.installed(None)),
                    reason="English and German OCR data not installed (make test installs both)")
def test_a_reading_again_in_the_detected_language_that_reads_no_text_keeps_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A language misdetected on a page would have its reading of no text replace a readable first one. Scripted:
    real data that reads a German page as no text is not at hand."""
    readings = iter([ocr.OcrPage(text=GERMAN, seconds=1.0, timed_out=False, confidence=90),
                     ocr.OcrPage(text="ll ll ll", seconds=1.0, timed_out=False, confidence=20),
                     ocr.OcrPage(text=GERMAN, seconds=1.0, timed_out=False, confidence=90)])
    languages: list[str] = []

    def recognize(*args: object, **kwargs: object) -> ocr.OcrPage:
        languages.append(str(kwargs["languages"]))
        return next(readings)

    monkeypatch.setattr(ocr, "recognize", recognize)
    text = read_document(scanned_text([GERMAN, GERMAN], dpi=100), PipelineOptions())
    assert "Entfernungen" in text.pages[0] and text.warnings == []
    assert languages == ["eng", "deu", "eng"], "the next pages are read as planned, not in the misread language"


def test_a_forced_reading_that_runs_out_of_time_leaves_the_page_out_of_ocr_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ocr: force` keeps a usable layer when the reading is cut off, and `ocr_pages` still listed the page as read
    by OCR. The cut-off reading is scripted: a real one cannot be timed to end inside the page."""
    monkeypatch.setattr(ocr, "recognize", lambda *args, **kwargs: ocr.OcrPage("Graph", 1.0, timed_out=True))
    text = read_document(pdf_bytes([PAGE_ONE]), PipelineOptions(ocr="force"))
    assert "Message passing" in text.pages[0]
    assert text.ocr_pages == [] and text.warnings == ["ocr_page_timeout"]


def test_a_tessdata_dir_tesseract_cannot_take_is_refused_naming_the_setting() -> None:
    """A NUL, or a folder name that is no UTF-8, raised in every OCR'd file (`internal_error`)."""
    for folder in ("/srv/tess\0data", os.fsdecode(b"/srv/caf\xe9")):
        with pytest.raises(ValidationError, match="tessdata_dir"):
            PipelineOptions(tessdata_dir=folder)


@needs_english
def test_a_fifo_named_like_traineddata_is_not_taken_for_data(tmp_path: Path) -> None:
    """Tesseract's Init opened it and waited for a writer for ever, outside any page timeout."""
    os.mkfifo(tmp_path / "eng.traineddata")
    assert tessdata.plan(("eng",), str(tmp_path)) == tessdata.plan(("eng",), None)


@needs_english
def test_tessdata_prefix_naming_a_folder_that_is_no_utf8_gives_a_warning_not_a_traceback(tmp_path: Path) -> None:
    """tesserocr reads $TESSDATA_PREFIX as UTF-8 when it is imported: UnicodeDecodeError on every scan."""
    folder = tmp_path / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(blank_scan())
    read = ("import sys; from toridaemon.pipeline import PipelineOptions; from toridaemon.pipeline.text import "
            "read_document; print(read_document(open(sys.argv[1], 'rb').read(), PipelineOptions()).warnings)")
    done = subprocess.run([sys.executable, "-c", read, str(scan)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TESSDATA_PREFIX": str(folder)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "ocr_unavailable" in done.stdout


@needs_english
def test_a_guess_without_installed_data_keeps_the_configured_language(data_only_in: Callable[..., None]) -> None:
    data_only_in()
    text = read_document(scanned_text([PAGE_ONE], dpi=150), PipelineOptions(ocr_dpi=150), lambda _: "ja")
    assert text.ocr_pages == [1]
    assert ocr._ENGINE._key is not None and ocr._ENGINE._key[1] == "eng"


@needs_english
def test_a_page_in_a_font_without_unicode_mapping_goes_to_ocr_unless_it_reads_as_words() -> None:
    # Glyph names PDFium cannot map to Unicode: it flags every character, whatever text it guesses.
    # (Helvetica has no such glyphs either, so the page renders blank and OCR finds nothing on it.)
    names = " ".join(f"/g{code}" for code in range(32, 127)).encode()

    def unmapped(text: str) -> bytes:
        return pdf_bytes([text]).replace(
            b"/Encoding /WinAnsiEncoding", b"/Encoding << /Type /Encoding /Differences [32 " + names + b"] >>")

    garbled = unmapped(codecs.encode(PAGE_ONE, "rot13"))  # codes that are not the letters: no language's words
    text = read_document(garbled, PipelineOptions(ocr_dpi=100))
    assert text.ocr_pages == [1] and text.warnings == ["no_text"]
    assert read_document(garbled, PipelineOptions(ocr="off")).warnings == ["garbage_text_dropped", "no_text"]
    # pdfTeX's bitmap fonts (Type 3) have no Unicode map either, but their codes are the letters: such pages were
    # dropped, or read again by OCR, though their text reads "xts: Extensible Time Series".
    readable = read_document(unmapped(PAGE_ONE), PipelineOptions(ocr="off"))
    assert readable.warnings == [] and _words(PAGE_ONE) <= _words(readable.pages[0])


@needs_english
def test_a_page_too_large_to_render_at_ocr_dpi_is_read_at_a_resolution_that_fits() -> None:
    """The largest page a PDF may declare (200 inches square) is 3.6 billion pixels at 300 dpi: rendering it took
    7 GB and half a minute, and Leptonica, refusing images over 2^31 bytes, crashed the worker (SIGSEGV)."""
    garbage = "st sq ZT SST bcd fgh jkl mnp qrst vwxz " * 12  # vowel-less words: the page goes to OCR
    data = pdf_bytes([garbage]).replace(b"[0 0 595 842]", b"[0 0 14400 14400]")
    assert b"[0 0 14400 14400]" in data
    text = read_document(data, PipelineOptions())
    assert text.ocr_pages == [1] and "ocr_page_failed" not in text.warnings
    assert ocr.bounded_dpi((14400, 14400), 300) * 200 <= math.sqrt(ocr._MAX_PIXELS)  # 200 inches a side
    assert ocr.bounded_dpi((595, 842), 300) == 300  # an A4 page is read at the resolution asked for
    # A sliver of a page (PDFium takes such boxes) renders no side longer than Tesseract's limit.
    assert ocr.bounded_dpi((4e8, 0.01), 300) * 4e8 / 72 <= ocr._MAX_SIDE * 1.0001


@needs_english
def test_a_page_that_cannot_be_rendered_is_skipped_with_a_warning(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A rendering larger than the worker's memory cap raises MemoryError (it ended the whole file as
    `memory_limit`); a real one needs more memory than this machine may give a test, so the failure is simulated
    on page 1 of a real scan, and page 2 is rendered and read for real."""
    real_render = pdfium.PdfPage.render
    failures: list[BaseException] = [MemoryError()]

    def render(page: pdfium.PdfPage, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real_render(page, **kwargs)

    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_text([PAGE_ONE, PAGE_TWO], dpi=200))
    monkeypatch.setattr(pdfium.PdfPage, "render", render)
    result = analyze_pdf(path).to_dict()
    assert not failures and "ocr_page_failed" in result["warnings"]
    assert result["source"]["ocr_pages"] == [2]
    assert {"readout", "solubility"} & _words(" ".join(c["context"] for c in result["concepts"]))


def test_the_ocr_budget_grows_with_page_images_only() -> None:
    options = PipelineOptions(ocr_page_timeout_seconds=10, ocr_max_pages=2)
    assert tessdata.ocr_budget_seconds(pdf_bytes(["text only"]), options) == 0
    assert tessdata.ocr_budget_seconds(scanned_text(["a", "b", "c"], dpi=50), options) == 20
    assert tessdata.ocr_budget_seconds(scanned_text(["a"], dpi=50), PipelineOptions(ocr="off")) == 0


def test_the_daemons_hashing_read_counts_images_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = scanned_text(["a", "b", "c"], dpi=50) + b"\n%" + b"/Subtype  /Image\n" * 5 + b"/Subtype /Images"
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    opened: list[Path] = []
    real_open = hashing.open_regular

    def counted_open(where: Path) -> tuple[BinaryIO, os.stat_result]:
        opened.append(where)
        return real_open(where)

    monkeypatch.setattr(hashing, "open_regular", counted_open)
    options = PipelineOptions(ocr_page_timeout_seconds=10, ocr_max_pages=100)
    state, budget = hash_and_budget(path, options)
    assert opened == [path]  # one read gives both
    assert state.sha256 == hashlib.sha256(data).hexdigest()
    assert budget == tessdata.ocr_budget_seconds(data, options) == 80
    cut = data.index(b"/Subtype  /Image") + 4 * len(b"/Subtype  /Image\n") + 5  # inside the 5th appended one
    for limit, images in ((len(data), 8), (cut, 7)):
        for chunk_bytes in (5, 17, 64, 1000):  # smaller than, near and above the carried overlap
            counter = tessdata.ImageCounter(limit)
            for start in range(0, len(data), chunk_bytes):
                counter.feed(data[start : start + chunk_bytes])
            assert counter.count == images == tessdata.image_count(data[:limit])
    assert hash_and_budget(path, PipelineOptions(max_file_bytes=20))[1] == 0  # no image within the limit
    assert hash_and_budget(path, PipelineOptions(ocr="off"))[1] == 0


@needs_english
@pytest.mark.e2e
def test_the_daemon_ocrs_a_dropped_scan_past_the_bare_file_timeout(
    dirs: Dirs, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    # A quarter second is less than OCR of two 300-dpi pages takes: the scan succeeds only because each page
    # image adds ocr_page_timeout_seconds to the file's timeout.
    daemon = daemon_factory({"TORI_FILE_TIMEOUT_SECONDS": "0.25", "TORI_OCR_PAGE_TIMEOUT_SECONDS": "60"})
    daemon.wait_ready()
    staged = dirs.root / "scan.pdf"
    staged.write_bytes(scanned_text([PAGE_ONE, PAGE_TWO], dpi=300))
    staged.rename(dirs.inbox / "scan.pdf")
    wait_for(lambda: dirs.results() or dirs.errors(), 120, what="the scan's outcome")
    assert dirs.errors() == []
    result = dirs.results()[0]
    assert result["source"]["ocr_pages"] == [1, 2] and result["warnings"] == []
    assert result["timings_seconds"]["total"] > 0.25, "OCR was faster than the bare timeout: nothing was shown"
    assert result["title"] == "Graph Neural Networks for Molecules"
    wait_for(lambda: daemon.metric("toridaemon_ocr_pages_total") == 2, 10, what="OCR page counter")
    assert daemon.metric("toridaemon_ocr_seconds_count") == 1
    assert daemon.metric("toridaemon_documents_without_text_total") == 0
    # OCR time is part of `text`, and has a histogram of its own: a stage of its own counted it twice in a sum.
    assert daemon.metric("toridaemon_processing_seconds_count", 'stage="text"') == 1
    assert 'stage="ocr"' not in daemon.get("/metrics")[1].decode()
    assert daemon.stop() == 0


class _ScriptedTesseract:
    """A stand-in for the Tesseract API object, for what real Tesseract will not do on demand: fail, or run out
    of time, on the second reading of a page and not on the first. Readings alternate upright, turned."""

    def __init__(self, turned: str, first_seconds: float = 0.0) -> None:
        self.turned, self.first_seconds, self.readings = turned, first_seconds, 0

    def SetImageBytes(self, *args: object) -> None: ...

    def SetSourceResolution(self, dpi: int) -> None: ...

    def Clear(self) -> None: ...

    def Recognize(self, timeout: int) -> bool:
        self.readings += 1
        if self.readings == 1:
            time.sleep(self.first_seconds)
            return True
        if self.turned == "fails":
            raise RuntimeError("Failed to recognize")
        return self.turned == "finishes"

    def GetUTF8Text(self) -> str:
        return "a poor but upright page read whole" if self.readings == 1 else "two words"

    def MeanTextConf(self) -> int:
        return 45 if self.readings == 1 else 60

    def MapWordConfidences(self) -> list[tuple[str, int]]:  # read for a reading cut off by its timeout
        return [("two", 60), ("words", 60), ("   ", 95)]

    def GetIterator(self) -> None:  # the lines of a reading: none to tell the title from
        return None


def _recognize_with(api: _ScriptedTesseract, monkeypatch: pytest.MonkeyPatch, *, timeout_seconds: float) -> ocr.OcrPage:
    """`ocr.recognize` of a one-page PDF with `api` in place of the process's Tesseract."""
    monkeypatch.setattr(ocr._ENGINE, "api", lambda folder, languages: api)
    document = pdfium.PdfDocument(pdf_bytes([PAGE_ONE]))
    try:
        return ocr.recognize(document[0], folder=Path("."), languages="eng", dpi=50, timeout_seconds=timeout_seconds)
    finally:
        document.close()


class _CutOffGarbage(_ScriptedTesseract):
    """A reading cut off by its timeout, of a page in a script the data does not read: Tesseract's own mean counts
    the words it never reached (blank, at 95). Scripted: real timing cannot cut a reading at a chosen word."""

    def Recognize(self, timeout: int) -> bool:
        self.readings += 1
        return False

    def GetUTF8Text(self) -> str:
        return "pJlall ond Las!"

    def MeanTextConf(self) -> int:
        return 80

    def MapWordConfidences(self) -> list[tuple[str, int]]:
        return [("pJlall", 30), ("ond", 35), ("Las!", 40), ("      ", 95), ("      ", 95)]


def test_a_reading_cut_off_by_its_timeout_is_judged_by_the_words_it_read(monkeypatch: pytest.MonkeyPatch) -> None:
    page = _recognize_with(_CutOffGarbage("finishes"), monkeypatch, timeout_seconds=0.5)
    assert page.timed_out and page.confidence == 35 < document.UNREADABLE_CONFIDENCE


@pytest.mark.parametrize("turned", ["fails", "runs out of time", "finishes"])
def test_a_second_turned_reading_replaces_the_first_only_when_whole_and_more_confident(
    turned: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = _ScriptedTesseract(turned)
    read = _recognize_with(api, monkeypatch, timeout_seconds=5)
    assert api.readings == 2 and not read.timed_out
    if turned == "finishes":
        assert read.text == "two words" and read.turned
    else:
        assert read.text == "a poor but upright page read whole" and not read.turned


def test_no_second_reading_when_as_long_a_reading_no_longer_fits_the_page_time(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    api = _ScriptedTesseract("finishes", first_seconds=0.3)
    read = _recognize_with(api, monkeypatch, timeout_seconds=0.5)
    assert api.readings == 1 and read.text == "a poor but upright page read whole" and not read.turned


def test_the_speckle_check_asks_more_at_low_resolutions_and_a_page_too_large_to_filter_is_read_as_is(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    dusty = np.where(np.random.default_rng(0).random((600, 400)) < 0.005, 0, 255).astype(np.uint8)
    assert ocr._despeckled(dusty, 300) is not None
    # Below 200 dpi small clean text has one-pixel dots of its own (up to 0.6 % of the pixels at 100 dpi): only
    # more than 1.5 % is dust there, and under 100 dpi nothing is.
    assert ocr._despeckled(dusty, 150) is None
    heavy = np.where(np.random.default_rng(0).random((600, 400)) < 0.03, 0, 255).astype(np.uint8)
    assert ocr._despeckled(heavy, 150) is not None and ocr._despeckled(heavy, 90) is None
    assert ocr._despeckled(np.full((600, 400), 255, dtype=np.uint8), 300) is None

    # The filter's copy failing for memory (a real one needs a page larger than this machine allows): the page
    # is read as it is rather than the file failing.
    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(Image, "fromarray", no_memory)
    assert ocr._despeckled(heavy, 300) is None


def _page_with_images(pixels: tuple[int, int], placed: tuple[float, float], count: int = 1) -> float | None:
    """`ocr._scan_dpi` of an A4 page holding `count` blank images of `pixels`, each placed over `placed` points."""
    pdf = pdfium.PdfDocument.new()
    try:
        page = pdf.new_page(595, 842)
        for _ in range(count):
            image = pdfium.PdfImage.new(pdf)
            image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.new("L", pixels, 255)))
            image.set_matrix(pdfium.PdfMatrix().scale(*placed))
            page.insert_obj(image)
        page.gen_content()
        return ocr._scan_dpi(page)
    finally:
        pdf.close()


def test_a_scan_s_own_resolution_is_read_from_its_one_page_sized_image() -> None:
    assert _page_with_images((1654, 2339), (595, 842)) == 200
    assert _page_with_images((1687, 1146), (595, 842)) is None  # a 204×98 dpi fax: no one resolution
    assert _page_with_images((1654, 2339), (595, 842), count=2) is None  # not one image
    assert _page_with_images((1654, 2339), (200, 300)) is None  # a figure, not the page


def test_a_scan_whose_page_box_starts_below_the_origin_is_still_a_scan() -> None:
    """The image's share was clipped to [0, width] x [0, height]: a scan with MediaBox [0 -842 595 0] was judged
    empty and never read."""
    scan = pdfium.PdfDocument(scanned_text([PAGE_ONE], dpi=100))
    page = scan[0]
    height = page.get_height()
    for obj in list(page.get_objects()):
        obj.transform(pdfium.PdfMatrix().translate(0, -height))
    page.set_mediabox(0, -height, page.get_width(), 0)
    page.gen_content()
    out = io.BytesIO()
    scan.save(out)
    moved = pdfium.PdfDocument(out.getvalue())
    assert verdict(layer_page(moved, 0)) == "scan"


def _image_in_a_form(placed: str, drawn: str = "1 0 0 1 0 0", text: str = "") -> bytes:
    """One A4 page drawing, through the form XObject /Fm0 placed by `placed` (a `cm` operator's six numbers), a
    form that draws a grey image placed by `drawn` inside it; `text` in 11 pt atop the page."""
    content = (f"q {placed} cm /Fm0 Do Q" + (f" BT /F1 11 Tf 50 780 Td ({text}) Tj ET" if text else "")).encode()
    pixels, inner = bytes(range(64)), f"q {drawn} cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Fm0 5 0 R >> /Font << /F1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /Im0 6 0 R >> >>"
        b" /Length %d >>\nstream\n" % len(inner) + inner + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8"
        b" /Length 64 >>\nstream\n" + pixels + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_of_objects(objects)


def test_an_image_inside_a_form_counts_where_the_form_places_it() -> None:
    """Bounds inside a form XObject are in the form's space: a scan drawn by a unit-square form scaled to the page
    covered 1 point² and was never read (no warning but `no_text`), while a figure's form scaled down counted
    whole and sent a born-digital page to OCR."""
    def judged(data: bytes) -> str:
        pdf = pdfium.PdfDocument(data)
        try:
            return verdict(layer_page(pdf, 0))
        finally:
            pdf.close()

    assert judged(_image_in_a_form("595 0 0 842 0 0")) == "scan"
    assert judged(_image_in_a_form("2 0 0 2 0 0", "297.5 0 0 421 0 0")) == "scan"  # placed and drawn at half
    caption = "Figure 3: the results of the second run, set below the figure as its caption."
    assert judged(_image_in_a_form("0.3 0 0 0.3 150 320", "595 0 0 842 0 0", text=caption)) == "ok"
    # A square turned 45° in a form turned back: upright, 300 points a side (a box of its box in the form's space
    # is twice as large, and three times the share).
    half = 300 / math.sqrt(2)
    upright = pdfium.PdfDocument(_image_in_a_form(f"{math.sqrt(0.5)} {-math.sqrt(0.5)} {math.sqrt(0.5)} "
                                                  f"{math.sqrt(0.5)} 100 300", f"{half} {half} {-half} {half} 0 0"))
    try:
        assert _image_coverage(upright[0]) == pytest.approx(300 * 300 / (595 * 842), rel=1e-3)
    finally:
        upright.close()


@needs_english
def test_data_that_cannot_be_loaded_loses_no_page_and_leaves_the_engine_working(tmp_path: Path) -> None:
    """A German scan made OCR follow to German data Tesseract could not load (a truncated file): the page, read
    fine in English, was dropped, and the half set-up engine then read every later scan as empty."""
    english = tessdata.installed(None)["eng"] / "eng.traineddata"
    shutil.copy(english, tmp_path / "eng.traineddata")
    (tmp_path / "deu.traineddata").write_bytes(english.read_bytes()[:1000])
    tessdata.data_folders.cache_clear()
    options = PipelineOptions(tessdata_dir=str(tmp_path))
    try:
        german = read_document(scanned_text([GERMAN], dpi=200), options)
        english_after = read_document(scanned_text([PAGE_ONE], dpi=200), options)
    finally:
        tessdata.data_folders.cache_clear()
    assert german.ocr_pages == [1] and "ocr_language_unavailable" in german.warnings
    assert "Stromnetze" in german.pages[0]  # read with the English data
    assert english_after.warnings == [] and _words(PAGE_ONE) <= _words(english_after.pages[0])


@pytest.mark.skipif(not {"eng", "deu"} <= set(tessdata.installed(None)),
                    reason="English and German OCR data not installed (make test installs both)")
def test_a_blank_first_page_leaves_the_language_to_the_first_page_with_words() -> None:
    """A blank back (duplex scanning) or a photo first: its empty reading was taken to tell the language, and the
    German pages after it were read with English data ("Grdße", "fiir")."""
    text = read_document(scanned_text(["", GERMAN], dpi=200), PipelineOptions())
    assert text.ocr_pages == [1, 2]
    assert ocr._ENGINE._key is not None and ocr._ENGINE._key[1] == "deu"
    assert "Übertragungsnetzbetreiber" in text.pages[1] and "Größe" in text.pages[1]


GREEK = "Η φωτοσύνθεση είναι η διαδικασία με την οποία τα φυτά μετατρέπουν την ηλιακή ενέργεια"


@needs_english
@pytest.mark.skipif(not DEJAVU.exists() or "ell" not in tessdata.installed(None) or tessdata.script_data(None) is None,
                    reason="needs a font with Greek letters (fonts-dejavu-core), Greek OCR data (tesseract-ocr-ell)"
                           " and script detection data (make test installs it)")
def test_a_scan_in_another_script_is_read_with_that_scripts_data_when_installed() -> None:
    """A Greek scan read with English data gave Latin letters as concepts ("PWC OTO KOKKWO Kl"), with Greek data
    installed: no language is told from letters of the wrong script, so the Greek data was never used."""
    text = read_document(lines_scan(GREEK, str(DEJAVU), lines=8), PipelineOptions())
    assert text.language == "el" and text.warnings == [] and text.ocr_pages == [1]
    assert "φωτοσύνθεση" in text.pages[0] and "ηλιακή ενέργεια" in text.pages[0]
    assert ocr._ENGINE._key is not None and ocr._ENGINE._key[1].split("+")[0] == "ell"


def test_nothing_is_told_of_a_reading_in_languages_without_a_word_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """Welsh has no word list to tell words from letters by: its readings are taken as they come."""
    languages, asked = _scripted_scripts(monkeypatch, tmp_path, [ocr.OcrPage(GREEK_AS_ENGLISH, 1.0, timed_out=False,
                                                                            confidence=48)], "Greek")
    (tmp_path / "cym.traineddata").write_bytes(b"")
    _clear_data_caches()
    text = read_document(scanned_text([PAGE_ONE], dpi=100),
                         PipelineOptions(tessdata_dir=str(tmp_path), ocr_languages=("cym",)), lambda text: None)
    assert languages == ["cym"] and asked == [1] and text.warnings == []


@needs_english
@pytest.mark.skipif(not DEJAVU.exists() or tessdata.script_data(None) is None,
                    reason="needs a font with Greek letters (fonts-dejavu-core) and script detection data (make test"
                           " installs it)")
def test_a_real_greek_scan_without_greek_data_says_its_script_has_no_data(data_only_in: Callable[..., None]) -> None:
    """With the data `make test` installs alone (English, German, script detection): it read at 48 to 50, its Latin
    letters were concepts and the title ("H gwtoovvGeon eivat n Sa6iKkaota"), and no warning said why."""
    data_only_in()
    text = read_document(lines_scan(GREEK, str(DEJAVU), lines=8), PipelineOptions())
    assert text.warnings == ["ocr_script_unavailable"] and text.ocr_pages == [1]


def _scripted_scripts(monkeypatch: pytest.MonkeyPatch, folder: Path, readings: Iterable[ocr.OcrPage],
                      script: str | None) -> tuple[list[str], list[int]]:
    """Tesseract's readings and script detection scripted, with data files (never loaded) for English and Russian
    and script detection in `folder`, the only one searched; returns the languages of the readings made and, for
    each time the script was asked, how many readings came before. Real data that reads a page at set confidences
    is not at hand."""
    for name in ("eng", "rus", "osd"):
        (folder / f"{name}.traineddata").write_bytes(b"")
    monkeypatch.setattr(tessdata, "search_dirs", lambda tessdata_dir: (folder,))
    _clear_data_caches()
    languages: list[str] = []
    asked: list[int] = []  # each time, the readings made before
    answers = iter(readings)

    def recognize(*args: object, **kwargs: object) -> ocr.OcrPage:
        languages.append(str(kwargs["languages"]))
        return next(answers)

    def detect_script(*args: object, **kwargs: object) -> str | None:
        asked.append(len(languages))
        return script

    monkeypatch.setattr(ocr, "recognize", recognize)
    monkeypatch.setattr(ocr, "detect_script", detect_script)
    return languages, asked


RUSSIAN = "Фотосинтез является главным источником биологической энергии на Земле"


def test_a_reading_in_the_wrong_script_is_read_again_in_the_scripts_data_and_the_next_pages_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """The planned languages stay in the plan after the script's: a page of English after Russian ones (or an English
    paragraph in a Russian text) read with Russian data alone was garbage."""
    readings = [ocr.OcrPage("Doroch3ce ABnAetca", 1.0, timed_out=False, confidence=45),
                ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=91),
                ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=92)]
    languages, asked = _scripted_scripts(monkeypatch, tmp_path, readings, "Cyrillic")
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO], dpi=100),
                         PipelineOptions(tessdata_dir=str(tmp_path)), lambda text: "ru" if "Фото" in text else "hr")
    assert languages == ["eng", "rus+eng", "rus+eng"] and asked == [1]
    assert text.pages[0] == RUSSIAN and text.ocr_pages == [1, 2] and text.language == "ru"


def test_a_sure_first_page_leaves_the_script_to_be_asked_of_the_next_unsure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """An English cover page before Russian ones."""
    readings = [ocr.OcrPage(PAGE_ONE, 1.0, timed_out=False, confidence=90),
                ocr.OcrPage("Doroch3ce ABnAetca", 1.0, timed_out=False, confidence=45),
                *[ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=91)] * 2]
    languages, asked = _scripted_scripts(monkeypatch, tmp_path, readings, "Cyrillic")
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO, PAGE_TWO], dpi=100),
                         PipelineOptions(tessdata_dir=str(tmp_path)), lambda text: None)
    assert languages == ["eng", "eng", "rus+eng", "rus+eng"] and asked == [2]
    assert text.pages[1:] == [RUSSIAN, RUSSIAN]


def test_the_language_told_after_the_script_keeps_the_planned_languages_of_other_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    (tmp_path / "ukr.traineddata").write_bytes(b"")
    readings = [ocr.OcrPage("Doroch3ce ABnAetca", 1.0, timed_out=False, confidence=45),
                *[ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=91)] * 3]
    languages, _ = _scripted_scripts(monkeypatch, tmp_path, readings, "Cyrillic")
    read_document(scanned_text([PAGE_ONE, PAGE_TWO], dpi=100), PipelineOptions(tessdata_dir=str(tmp_path)),
                  lambda text: "uk")
    assert languages == ["eng", "rus+eng", "ukr+eng", "ukr+eng"]


def test_script_detection_data_that_cannot_be_loaded_is_a_warning_and_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """A truncated `osd.traineddata` gave no warning and was loaded again (2 s) for each unsure page. The readings
    are scripted (unsure ones); the script detection data is really loaded."""
    for name, data in (("eng", b""), ("rus", b""), ("osd", b"no traineddata")):
        (tmp_path / f"{name}.traineddata").write_bytes(data)
    data_only_in(tmp_path)
    monkeypatch.setattr(ocr, "recognize", lambda *args, **kwargs: UNSURE)
    tries: list[tuple[Path, str]] = []
    loading = ocr._SCRIPT_ENGINE.api

    def api(folder: Path, languages: str) -> object:
        tries.append((folder, languages))
        return loading(folder, languages)

    monkeypatch.setattr(ocr._SCRIPT_ENGINE, "api", api)
    text = read_document(scanned_text([PAGE_ONE] * 3, dpi=100), PipelineOptions(tessdata_dir=str(tmp_path)))
    assert tries == [(tmp_path, "osd")] and "ocr_language_unavailable" in text.warnings


def test_a_plan_reads_its_first_language_from_the_first_folder_holding_it(
    tmp_path: Path, data_only_in: Callable[..., None],
) -> None:
    """A tie was broken by the search order, not by the languages': ("rus", "deu") planned German alone, and every
    Russian scan cost a script detection and a reading again. A `tessdata_dir` holding English lost it to the
    virtualenv's folder, which holds more of ("eng", "deu")."""
    mine, venv, debian = tmp_path / "mine", tmp_path / "venv", tmp_path / "debian"
    for folder, names in ((mine, ("eng",)), (venv, ("eng", "deu")), (debian, ("eng", "rus"))):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.traineddata").write_bytes(b"")
    data_only_in(mine, venv, debian)
    assert tessdata.plan(("rus", "deu"), None) == (debian, "rus")
    assert tessdata.plan(("eng", "deu"), None) == (mine, "eng")
    assert tessdata.plan(("deu", "eng"), None) == (venv, "deu+eng")
    assert tessdata.plan(("xyz", "deu"), None) == (venv, "deu")
    assert tessdata.plan(("xyz", "deu"), None, first=True) is None
    assert tessdata.script_plan("Cyrillic", "eng", ("eng",), None) == (debian, "rus+eng")


def test_a_tessdata_dir_that_cannot_be_listed_is_skipped_when_looking_for_script_detection(
    tmp_path: Path, data_only_in: Callable[..., None],
) -> None:
    """Its check for `osd.traineddata` raised OSError (a name too long, a folder the daemon's user may not enter),
    and every scan read unsure failed as `internal_error`."""
    (tmp_path / "osd.traineddata").write_bytes(b"")
    data_only_in(tmp_path / ("x" * 300), tmp_path)
    assert tessdata.script_data(None) == tmp_path


UNSURE = ocr.OcrPage("Doroch3ce ABnAetca", 1.0, timed_out=False, confidence=45)


AGAIN_IN_SCRIPT = ["eng", "rus+eng"] * 3  # each of three pages asked, and read again in vain


@pytest.mark.parametrize(("first", "again", "script", "languages", "asked"), [
    # Confident enough: no script detection asked.
    (75, None, "Cyrillic", ["eng"] * 3, []),
    # The reading in the detected script is no better, unsure, or of no text (Tesseract says 95 of none): it stays,
    # and the next pages are read as planned. Script detection misnames scripts it has no data for (Georgian as
    # Arabic): Arabic data read a Georgian page at 28, better than English's 27, and read the English pages after it
    # into garbage.
    (45, ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=40), "Cyrillic", AGAIN_IN_SCRIPT, [1, 3, 5]),
    (30, ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=35), "Cyrillic", AGAIN_IN_SCRIPT, [1, 3, 5]),
    (45, ocr.OcrPage("", 1.0, timed_out=False, confidence=95), "Cyrillic", AGAIN_IN_SCRIPT, [1, 3, 5]),
    # The script read in already (a poor scan), or none named (a stamp, a photo): the next unsure pages are asked,
    # up to three that change nothing.
    (45, None, "Latin", ["eng"] * 3, [1, 2, 3]),
    (45, None, None, ["eng"] * 3, [1, 2, 3]),
    (45, None, None, ["eng"] * 4, [1, 2, 3]),  # and no more
])
def test_a_page_is_read_again_in_another_script_only_when_that_reads_sure_and_better(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None], *, first: int,
    again: ocr.OcrPage | None, script: str | None, languages: list[str], asked: list[int],
) -> None:
    own = ocr.OcrPage("Doroch3ce ABnAetca", 1.0, timed_out=False, confidence=first)
    readings = itertools.chain([own, *([again] if again is not None else [])], itertools.repeat(own))
    read, told = _scripted_scripts(monkeypatch, tmp_path, readings, script)
    read_document(scanned_text([PAGE_ONE] * languages.count("eng"), dpi=100),
                  PipelineOptions(tessdata_dir=str(tmp_path)), lambda text: None)
    assert read == languages and told == asked


def test_a_page_in_the_planned_script_after_a_switch_is_read_in_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """German, Russian, German pages, with German data in another folder than Russian: the plan switched to Russian
    alone, and the last page was read with Russian data into garbage, kept at 40. Back in the script of the plan
    left, that plan is read in again, and a poor scan's reading at 60 will do: a sure one was asked for, and six
    German pages after a Russian one were left to Russian data."""
    russian, german = tmp_path / "debian", tmp_path / "venv"
    for folder, names in ((russian, ("rus", "osd")), (german, ("eng", "deu"))):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.traineddata").write_bytes(b"")
    readings = iter([ocr.OcrPage(GERMAN, 1.0, timed_out=False, confidence=90),  # eng; then deu, told "de"
                     ocr.OcrPage(GERMAN, 1.0, timed_out=False, confidence=92),
                     UNSURE, ocr.OcrPage(RUSSIAN, 1.0, timed_out=False, confidence=91),  # deu; rus
                     ocr.OcrPage("Dje Wctter", 1.0, timed_out=False, confidence=30),  # rus
                     ocr.OcrPage(GERMAN, 1.0, timed_out=False, confidence=60)])  # deu again, told "de" again
    scripts = iter(["Cyrillic", "Latin"])
    languages: list[str] = []

    def recognize(*args: object, **kwargs: object) -> ocr.OcrPage:
        languages.append(str(kwargs["languages"]))
        return next(readings)

    monkeypatch.setattr(ocr, "recognize", recognize)
    monkeypatch.setattr(ocr, "detect_script", lambda *args, **kwargs: next(scripts))
    data_only_in(german, russian)
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO, PAGE_ONE], dpi=100), PipelineOptions(),
                         lambda text: "ru" if "Фото" in text else "de")
    assert languages == ["eng", "deu", "deu", "rus", "rus", "deu"]
    assert text.pages == [GERMAN, RUSSIAN, GERMAN]


def test_no_page_is_read_again_or_asked_its_script_past_the_time_to_start_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None],
) -> None:
    """The readings again of page 1 (in its script, then in its language) took 127 s where one took 43 s (an A1
    Russian scan), past what `_ocr_deadline` keeps for the pages after the first."""
    languages, asked = _scripted_scripts(monkeypatch, tmp_path, [UNSURE, UNSURE], "Cyrillic")
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO], dpi=100), PipelineOptions(tessdata_dir=str(tmp_path)),
                         lambda text: "ru", started=time.monotonic() - 3600)
    assert languages == ["eng"] and asked == [] and "ocr_incomplete" in text.warnings


GREEK_AS_ENGLISH = "H dwtocvvOeon eivat n diadikacia pe THV OTtoia Ta PUTA HETATPETTOUV THV NALAKT EvEpyeia"


@pytest.mark.parametrize(("reading", "script", "told"), [
    # Greek read with English data (confidence 48 to 50 measured) and no Greek data installed: letters of another
    # script.
    (GREEK_AS_ENGLISH, "Greek", True),
    # Script detection names Latin pages Cyrillic or Arabic now and then: a reading of English words is none.
    (PAGE_ONE, "Cyrillic", False),
    # Nor is one that a quarter of its words or more make words of the planned languages (the detector unsure).
    ("Xkcd Wrpt Qzv the network Plk data Zxq model Vbnm Grtk", "Cyrillic", False),
    # Nor a page of words of another language written in the plan's script (Polish: none is an English word).
    ("Rząd ogłosił nowe środki mające na celu zmniejszenie zanieczyszczenia powietrza w głównych miastach kraju",
     "Cyrillic", False),
    # A poor scan in the script read in, or none named (a stamp, a photo): nothing to tell.
    (GREEK_AS_ENGLISH, "Latin", False),
    (GREEK_AS_ENGLISH, None, False),
])
def test_an_unsure_page_in_a_script_without_data_is_told_unless_its_words_are_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_only_in: Callable[..., None], *, reading: str,
    script: str | None, told: bool,
) -> None:
    """A Greek or Russian scan read with the default English data at 40 to 54 passed for text, its letters read as
    Latin ones giving concepts ("PWC OTO KOKKWO Kl") and a title, and nothing said so. Script detection is asked
    with no data of another script installed too, and the warning names the cause. The reading stays: a Latin page
    script detection misnames, in a language the detector is unsure of (Azerbaijani) or of figures, reads alike."""
    readings = [ocr.OcrPage(reading, 1.0, timed_out=False, confidence=48)] * 2
    languages, asked = _scripted_scripts(monkeypatch, tmp_path, readings, script)
    (tmp_path / "rus.traineddata").unlink()
    _clear_data_caches()
    text = read_document(scanned_text([PAGE_ONE, PAGE_TWO], dpi=100), PipelineOptions(tessdata_dir=str(tmp_path)),
                         lambda text: None)
    assert languages == ["eng", "eng"] and asked == [1, 2]  # each unsure page is asked (up to three that tell nothing)
    assert text.pages == [reading, reading] and text.ocr_pages == [1, 2]
    assert ("ocr_script_unavailable" in text.warnings) is told


def test_the_script_of_each_tesseract_language_and_the_one_read_for_a_script(
    tmp_path: Path, data_only_in: Callable[..., None],
) -> None:
    for name in ("eng", "deu", "rus", "ukr", "ell", "kat", "osd"):
        (tmp_path / f"{name}.traineddata").write_bytes(b"")
    data_only_in(tmp_path)
    folder = str(tmp_path)
    assert [tessdata.script_of(name) for name in ("eng", "frk", "rus", "jpn", "kor", "kat", "HanS", "Georgian")] == [
        "Latin", "Latin", "Cyrillic", "Japanese", "Korean", None, "Han", None]
    assert tessdata.script_named("Hangul") == "Korean" and tessdata.script_named("Katakana") == "Japanese"
    assert {"Cyrillic", "Greek"} <= tessdata.other_scripts("eng+deu", folder)
    assert "Cyrillic" not in tessdata.other_scripts("rus", folder) and "Latin" in tessdata.other_scripts("rus", folder)
    # The configured language of the script first, else the most widely written; the planned ones after it.
    assert tessdata.script_plan("Cyrillic", "eng+deu", ("ukr", "eng"), folder) == (tmp_path, "ukr+eng+deu")
    assert tessdata.script_plan("Cyrillic", "eng", ("eng",), folder) == (tmp_path, "rus+eng")
    assert tessdata.script_plan("Latin", "rus", ("rus",), folder) == (tmp_path, "eng+rus")
    assert tessdata.script_plan("Georgian", "eng", ("eng",), folder) is None  # no script detection tells
    assert tessdata.script_data(folder) == tmp_path
    # A script no installed data reads, of those script detection tells, and none the plan's languages are written in.
    assert tessdata.without_data("Arabic", "eng+deu", folder) and tessdata.without_data("Han", "rus", folder)
    assert not tessdata.without_data("Greek", "eng", folder)  # its data is installed
    assert not tessdata.without_data("Latin", "rus+eng", folder)  # planned
    assert not tessdata.without_data("Arabic", "kat", folder)  # the plan's script is none script detection tells
    assert not tessdata.without_data("Georgian", "eng", folder)  # nor is this one


def test_lone_specks_of_up_to_two_by_two_pixels_alone_are_made_white_at_300_dpi() -> None:
    # 1 + 2 × 512 rows: the checks run in strips of 512 rows, and specks lie across their edges.
    page = np.full((1025, 600), 255, dtype=np.uint8)
    page[100:160, 100:500] = 0  # a block of print: not dust
    page[300:302, 50:52] = 0  # a mark of 3×3 pixels across: no speck, though no bigger than one
    page[302, 52] = 0
    near = page.copy()
    for row, (down, across) in enumerate([(-1, 0), (2, 1), (0, -1), (1, 2), (-1, -1), (2, 2)]):
        top = 400 + 10 * row  # a 2×2 speck with a dark pixel in its ring (above, below, left, right, corners)
        near[top : top + 2, 300:302] = 0
        near[top + down, 300 + across] = 0
    dusty = near.copy()
    shapes = [(1, 1), (1, 2), (2, 1), (2, 2)]
    tops = [*range(200, 300, 5), 500, 506, 512, 518, *range(600, 1000, 5), 1016, 1022]
    windows = {(1, 1): 4, (1, 2): 2, (2, 1): 2, (2, 2): 1}  # the 2×2 windows holding a speck of this size whole
    counted = {"alone": 3, "specks": 0}  # the near pixels at the corners and the mark's: no dark 4-neighbour
    for index, top in enumerate(tops):
        for column in range(10 + index % 5, 590, 25):
            tall, wide = shapes[(index + column) % 4]
            dusty[top : top + tall, column : column + wide] = 0
            counted["alone"] += (tall, wide) == (1, 1)
            counted["specks"] += windows[tall, wide]
    assert ocr._dust_counts(dusty, 300) == (counted["alone"], counted["specks"])
    assert ocr._despeckled(near, 300) is None, "no dust: nothing to clean"
    cleaned = ocr._despeckled(dusty, 300)
    assert cleaned is not None
    assert np.array_equal(np.frombuffer(cleaned, dtype=np.uint8).reshape(page.shape), near), \
        "every speck made white, and nothing else"
    assert ocr._despeckled(dusty, 250) is None, "under 280 dpi small print makes such specks of its own"
    few = near.copy()
    for top in range(600, 1000, 40):  # 10 specks on 615,000 pixels: under the share a clean page with leader
        few[top : top + 2, 40:42] = 0  # dots stays under
    assert ocr._despeckled(few, 300) is None
