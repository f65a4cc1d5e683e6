"""Small, valid PDFs written by hand, so the suite never depends on files it did not make."""

from __future__ import annotations

import zlib
from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(text: str, heading_size: float | None = None, unit_fonts: bool = False, stretch: float = 1.0,
             heading_line: int = 0) -> bytes:
    if heading_size is None and not unit_fonts and stretch == 1.0:
        lines = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
        for line in text.splitlines() or [""]:
            lines.append(f"({_latin(line)}) Tj T*")
        lines.append("ET")
        return "\n".join(lines).encode("latin-1")
    lines, top, above = ["BT"], 780.0, None
    for index, line in enumerate(text.splitlines() or [""]):
        size = heading_size if index == heading_line and heading_size is not None else 11.0
        wide = stretch if index == heading_line else 1.0
        if above is not None:  # below the line above by the larger of the two sizes
            top -= max(above, size) + 3
        above = size
        # dvips sets every font at size 1 and scales it with the text matrix.
        placed = (f"/F1 1 Tf {size * wide} 0 0 {size} 50 {top} Tm" if unit_fonts
                  else f"/F1 {size} Tf {wide} 0 0 1 50 {top} Tm")
        lines.append(f"{placed} ({_latin(line)}) Tj")
    lines.append("ET")
    return "\n".join(lines).encode("latin-1")


def _latin(line: str) -> str:
    return _escape(line.encode("latin-1", "replace").decode("latin-1"))


def pdf_bytes(
    pages: list[str], title: str | None = None, *, compress: bool = True, heading_size: float | None = None,
    unit_fonts: bool = False, stretch: float = 1.0, heading_line: int = 0,
) -> bytes:
    """A PDF with one Helvetica text page per entry of `pages`, in 11 pt. `heading_size` sets each page's first
    line (or line `heading_line`) in that size, as a title or heading is; `unit_fonts` writes every font at size 1
    scaled by the text matrix, as dvips does; `stretch` widens that line by that factor (as the Tz operator
    does)."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, text in enumerate(pages):
        stream = _content(text, heading_size, unit_fonts, stretch, heading_line)
        filt = b""
        if compress:
            stream, filt = zlib.compress(stream), b" /Filter /FlateDecode"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
            f" /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(stream), filt) + stream + b"\nendstream")
    info_ref = b""
    if title is not None:
        objects.append(f"<< /Title ({_escape(title)}) >>".encode("latin-1"))
        info_ref = f" /Info {len(objects)} 0 R".encode()
    return pdf_of_objects(objects, info_ref)


def pdf_of_objects(objects: list[bytes], info_ref: bytes = b"") -> bytes:
    """A PDF file of `objects` (numbered from 1; object 1 the catalog), its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R".encode() + info_ref + b" >>\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


SAMPLE_TEXT = """Graph Neural Networks for Molecule Property Prediction
Abstract
We study graph neural networks for molecule property prediction. Message passing
neural networks learn representations of molecular graphs and predict properties.
1 Introduction
Molecule property prediction is central to drug discovery. Graph neural networks
operate on molecular graphs where atoms are nodes and bonds are edges.
2 Methods
We train a message passing neural network with attention on molecular graphs.
3 Results
The graph neural network improves prediction accuracy on benchmark data sets.
4 Conclusion
Graph neural networks are effective for molecule property prediction.
"""


def make_pdf(path: Path, pages: list[str] | None = None, title: str | None = None, *, salt: str = "") -> Path:
    """Write a PDF to `path`; `salt` adds a line so otherwise equal documents differ in content."""
    body = pages or [SAMPLE_TEXT]
    if salt:
        body = [*body[:-1], body[-1] + f"\nDocument reference {salt}.\n"]
    path.write_bytes(pdf_bytes(body, title))
    return path


def pdf_with_text_layer(text: str) -> bytes:
    """A one-page PDF whose text layer reads `text` in any script: each distinct character is drawn as one byte
    code of Helvetica, and the font's ToUnicode map says which character the code stands for (as a font with its
    own mapping does; what the page shows is beside the point). At most 255 distinct characters."""
    chars = sorted(set(text) - {"\n"})
    if len(chars) > 255:
        raise ValueError("more than 255 distinct characters")
    codes = {char: index + 1 for index, char in enumerate(chars)}
    lines = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
    for line in text.splitlines():
        lines.append("<" + "".join(f"{codes[char]:02X}" for char in line) + "> Tj T*")
    lines.append("ET")
    return _one_page_with_mapped_font(b"/BaseFont /Helvetica", "\n".join(lines).encode(),
                                      {f"{code:02X}": char for char, code in codes.items()})


def _one_page_with_mapped_font(font: bytes, content: bytes, mapped: dict[str, str]) -> bytes:
    """A one-page PDF drawing `content` in a Type 1 font (`font`: its /BaseFont and /Encoding entries) whose
    ToUnicode map reads each of `mapped`'s one-byte codes (hex) as its character."""
    mapping = "\n".join(f"<{code}> <{char.encode('utf-16-be').hex().upper()}>" for code, char in mapped.items())
    cmap = (f"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Mapped def\n"
            f"1 begincodespacerange <00> <FF> endcodespacerange\n{len(mapped)} beginbfchar\n{mapping}\nendbfchar\n"
            f"endcmap CMapName currentdict /CMap defineresource pop end end").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 " + font + b" /ToUnicode 6 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    return pdf_of_objects(objects)


COURIER_ADVANCE = 0.6  # of the font size: every glyph of Courier is this wide
# Codes of Courier's accent glyphs (WinAnsi has no ogonek and no dot accent: they take two unused codes), and two
# more codes the font's ToUnicode map reads as characters Courier lacks: a math italic x (beyond the BMP, two
# characters in PDFium's list) and a Chinese character.
_ACCENT_CODES = {"\u00b4": "B4", "\u00a8": "A8", "\u00b8": "B8", "`": "60", "\u02db": "81", "\u02d9": "8D", "~": "7E"}
_MAPPED_CODES = {"\U0001d465": "90", "\u7f8e": "9D"}


def pdf_of_runs(runs: list[tuple[float, float, str, float]], *, unit_fonts: bool = False,
                turned: frozenset[int] = frozenset()) -> bytes:
    """A one-page PDF that draws each run of text at its (x, y), in turn, in Courier of its size. Spacing accents
    (´ ¨ ¸ ` ˛ ˙) are drawn as the font's accent glyphs, as a font without accented letters draws them; "𝑥" and
    "美" are drawn as other glyphs read as those characters. `unit_fonts`: every font is set at size 1 and scaled by
    the text matrix, as dvips does. `turned`: the indices of runs drawn upside down (leftwards from x)."""
    lines = ["BT"]
    codes = {**_ACCENT_CODES, **_MAPPED_CODES}
    for index, (x, y, text, size) in enumerate(runs):
        drawn = "".join(codes.get(char) or f"{ord(char.encode('latin-1')):02X}" for char in text)
        turn = -1 if index in turned else 1
        placed = (f"/F1 1 Tf {turn * size} 0 0 {turn * size} {x} {y} Tm" if unit_fonts
                  else f"/F1 {size} Tf {turn} 0 0 {turn} {x} {y} Tm")
        lines.append(f"{placed} <{drawn}> Tj")
    lines.append("ET")
    courier = (b"/BaseFont /Courier"
               b" /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [129 /ogonek 141 /dotaccent] >>")
    return _one_page_with_mapped_font(courier, "\n".join(lines).encode(),
                                      {code: char for char, code in _MAPPED_CODES.items()})
