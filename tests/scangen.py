"""Image-only PDFs made like a scanner makes them: real pages rendered to pixels, no text layer."""

from __future__ import annotations

import ctypes
import io
import math

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.pdfgen import pdf_bytes


def scan_of(pdf: bytes, *, dpi: int = 200, rotate: float = 0.0, blur: float = 0.0, speckle: float = 0.0,
            speck: int = 1) -> bytes:
    """Each page of `pdf` rendered in grey at `dpi` (optionally turned, blurred, and sprinkled with that share of
    black pixels, as dust on the glass makes, in specks of `speck` × `speck` pixels), as an image-only PDF."""
    document = pdfium.PdfDocument(pdf)
    try:
        images = [_page_image(document[i], dpi, rotate, blur) for i in range(len(document))]
        if speckle:
            images = [_speckled(image, speckle, seed, speck) for seed, image in enumerate(images)]
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def _page_image(page: pdfium.PdfPage, dpi: int, rotate: float, blur: float) -> Image.Image:
    image: Image.Image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    if rotate:
        # A quarter turn is a sheet fed sideways: the whole page, now landscape. A slight skew keeps the page size.
        image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=rotate % 90 == 0, fillcolor=255)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return image


def _speckled(image: Image.Image, share: float, seed: int, speck: int = 1) -> Image.Image:
    pixels = np.asarray(image)
    corners = np.random.default_rng(seed).random(pixels.shape) < share / speck**2  # specks may overlap: about
    dust = np.zeros_like(corners)
    for down in range(speck):
        for across in range(speck):
            dust[down:, across:] |= corners[: corners.shape[0] - down, : corners.shape[1] - across]
    return Image.fromarray(np.where(dust, 0, pixels).astype(np.uint8), "L")


def scanned_text(pages: list[str], **kwargs: float) -> bytes:
    """A scan of a generated text PDF with these pages."""
    return scan_of(pdf_bytes(pages), **kwargs)  # type: ignore[arg-type]


def lines_scan(line: str, font: str, *, lines: int = 12, dpi: int = 200) -> bytes:
    """A scan of `line` written `lines` times in the TrueType `font` (a script no generated PDF here can set:
    pypdfium2's standard fonts are Latin)."""
    image = Image.new("L", (int(8.27 * dpi), int(dpi * (1 + lines / 4))), 255)
    draw, face = ImageDraw.Draw(image), ImageFont.truetype(font, dpi // 7)
    for number in range(lines):
        draw.text((dpi // 2, dpi // 2 + number * dpi // 4), line, fill=0, font=face)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def blank_scan(dpi: int = 100) -> bytes:
    out = io.BytesIO()
    Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255).save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def stamped(pdf: bytes, stamp: str, size: float = 8.0, at: tuple[float, float] = (20.0, 10.0), turn: float = 0.0
            ) -> bytes:
    """`pdf` with `stamp` written on every page in Helvetica, as real text: what scanner apps ("Scanned by
    CamScanner") and Bates numbering put on scans; turned by `turn` degrees (a watermark across the page)."""
    document = pdfium.PdfDocument(pdf)
    try:
        font = pdfium_c.FPDFText_LoadStandardFont(document.raw, b"Helvetica")
        encoded = (stamp + "\0").encode("utf-16-le")
        for index in range(len(document)):
            page = document[index]
            text = pdfium_c.FPDFPageObj_CreateTextObj(document.raw, font, size)
            characters = ctypes.create_string_buffer(encoded, len(encoded))
            pdfium_c.FPDFText_SetText(text, ctypes.cast(characters, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
            cos, sin = math.cos(math.radians(turn)), math.sin(math.radians(turn))
            pdfium_c.FPDFPageObj_Transform(text, cos, sin, -sin, cos, *at)
            pdfium_c.FPDFPage_InsertObject(page.raw, text)
            pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        out = io.BytesIO()
        document.save(out)
    finally:
        document.close()
    return out.getvalue()
