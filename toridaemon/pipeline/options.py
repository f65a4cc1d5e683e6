"""Settings the pure pipeline reads: a frozen snapshot handed to each job.

The daemon's `Settings` inherits these fields, so each one is declared once; a job receives
`PipelineOptions` built from the settings in force when it started, and later reloads never reach it.
"""

from __future__ import annotations

import re
from typing import Literal

import langcodes
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_SECTION_WEIGHTS: dict[str, float] = {
    "title": 2.0,
    "abstract": 1.5,
    "introduction": 1.2,
    "conclusion": 1.2,
    "methods": 1.1,
    "results": 1.1,
    "discussion": 1.0,
    "body": 1.0,
    "references": 0.7,
}
MAX_SECTION_WEIGHT = 100.0  # weights are ratios between sections: the defaults span 0.7 to 2


MOST_PAGES = 10_000_000  # far past any document; a 1e32 passed, a number no page count is
_TESSERACT_NAME = re.compile(r"(?:script/)?[A-Za-z][A-Za-z0-9_]*")


class PipelineOptions(BaseModel):
    """Limits and concept-engine parameters of one extraction."""

    # Infinity passed the bounds of every float setting, and was logged as `Infinity`: no JSON.
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    max_file_bytes: int = Field(
        200 * 1024 * 1024, gt=0, le=1 << 40, description="Largest input file accepted, in bytes."
    )
    max_pages: int = Field(5000, gt=0, le=MOST_PAGES, description="Largest page count accepted.")
    max_concepts: int = Field(30, gt=0, le=1000, description="Most concepts kept per document.")
    min_concepts: int = Field(
        5, ge=0, le=1000, description="Fewest concepts kept when that many distinct candidates exist."
    )
    entropy_threshold: float = Field(
        0.01, ge=0.0, description="Pruning stops when a concept adds less entropy than this (nats)."
    )
    section_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SECTION_WEIGHTS),
        description=(
            "Score multiplier per section name (JSON in the environment, a mapping in YAML); names not given keep "
            "their default weight."
        ),
    )
    concept_db_paths: tuple[str, ...] = Field(
        (), description="Extra concept database files (JSON or YAML) added to the bundled one."
    )
    database_boost: float = Field(
        0.3, ge=0.0, le=10.0, description="Score bonus of a concept the database knows, times its priority."
    )
    embeddings: bool = Field(False, description="Rank and de-duplicate with a local sentence-transformer model.")
    ocr: Literal["auto", "off", "force"] = Field(
        "auto", description="auto: OCR pages without a usable text layer; force: every page; off: never."
    )
    ocr_languages: tuple[str, ...] = Field(
        ("eng",), min_length=1, description="Tesseract languages tried first (e.g. eng, deu); the detected one follows."
    )
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution pages are rendered at for OCR.")
    ocr_page_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="OCR time per page; also what each image in a file adds to file_timeout_seconds.",
    )
    file_timeout_seconds: float = Field(120.0, gt=0, description="A parse running longer is killed.")
    ocr_max_pages: int = Field(
        500, ge=0, le=MOST_PAGES, description="Most pages OCR'd per document (the rest get a warning)."
    )
    tessdata_dir: str | None = Field(
        None, description="Folder of Tesseract *.traineddata searched first (then the bundled and Debian ones)."
    )
    language: str = Field(
        "auto",
        description=(
            "Language of the documents: `auto` detects it per document, an ISO 639-1 code (`en`, `de`, ...) "
            "sets it for all."
        ),
    )

    @field_validator("section_weights")
    @classmethod
    def _weights_in_range(cls, weights: dict[str, float]) -> dict[str, float]:
        # An infinite weight (or 1e308, which overflows once multiplied) made every score NaN: invalid JSON.
        bad = sorted(name for name, weight in weights.items() if not 0 <= weight <= MAX_SECTION_WEIGHT)
        if bad:
            raise ValueError(f"section weights must be numbers from 0 to {MAX_SECTION_WEIGHT:g}: {', '.join(bad)}")
        return weights

    @field_validator("language")
    @classmethod
    def _language_code(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "auto" and not (len(value) == 2 and value.isascii() and value.isalpha()
                                    and langcodes.tag_is_valid(value)):
            # "xx" or a mistyped "ge" passed, and results claimed that language.
            raise ValueError(f"language must be 'auto' or a two-letter ISO 639-1 code, not {value!r}")
        return value

    @field_validator("tessdata_dir")
    @classmethod
    def _tessdata_path(cls, folder: str | None) -> str | None:
        # Tesseract takes the folder as a UTF-8 C string: a NUL, or a name that is no UTF-8 (a Latin-1 "é" read
        # from the environment), raised in every OCR'd file instead of naming the setting.
        if folder is not None and "\0" in folder:
            raise ValueError("holds a NUL character, which no path does")
        try:
            (folder or "").encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{folder!r} is no UTF-8 path; Tesseract cannot open it") from None
        return folder

    @field_validator("ocr_languages")
    @classmethod
    def _tesseract_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        # Tesseract's names ("eng", "chi_sim", "script/Latin"): "" or "../../x" named a file elsewhere, or none.
        bad = [name for name in names if not _TESSERACT_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"not a Tesseract language name: {', '.join(repr(name) for name in bad)}")
        return names

    @model_validator(mode="after")
    def _bounds_ordered(self) -> PipelineOptions:
        if self.min_concepts > self.max_concepts:
            raise ValueError(f"min_concepts ({self.min_concepts}) exceeds max_concepts ({self.max_concepts})")
        return self

    def with_language(self, language: str) -> PipelineOptions:
        """A copy whose `language` is `language` ("auto" or an ISO 639-1 code), validated like the setting."""
        return PipelineOptions.model_validate({**self.model_dump(), "language": language})

    def section_weight(self, section: str) -> float:
        """The configured weight, else the default one, else the body's weight."""
        weight = self.section_weights.get(section, DEFAULT_SECTION_WEIGHTS.get(section))
        return weight if weight is not None else self.section_weights.get("body", DEFAULT_SECTION_WEIGHTS["body"])
