"""Hostile and broken inputs the suite makes itself (the shared corpus adds more when present)."""

from __future__ import annotations

import io
import random
import zlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from tests.pdfgen import SAMPLE_TEXT, pdf_bytes


def _encrypted(password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([SAMPLE_TEXT], title="Encrypted"))))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="RC4-128")  # noqa: S106 - a test fixture, not a secret
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _bomb(inflated_mib: int) -> bytes:
    """A page whose content stream inflates to `inflated_mib` MiB of text operators."""
    compressor = zlib.compressobj(1)
    chunk = b"(A) Tj " * (16 * 1024 * 1024 // 7)
    stream = b"".join(compressor.compress(chunk) for _ in range(inflated_mib // 16)) + compressor.flush()
    template = pdf_bytes(["x"], compress=False)
    head, _, tail = template.partition(b"<< /Length")
    tail = tail.split(b"endstream", 1)[1]
    body = head + b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream" + tail
    return body  # the xref offsets are now wrong; PDFium rebuilds them, as it does for many real files


def _nested(depth: int) -> bytes:
    return b"%PDF-1.7\n1 0 obj\n" + b"[" * depth + b"]" * depth + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def bad_inputs(rng: random.Random) -> dict[str, bytes]:
    """name -> content of generated inputs that must never crash the daemon."""
    good = pdf_bytes([SAMPLE_TEXT] * 3, title="Base")
    inputs = {
        "zero-bytes.pdf": b"",
        "random-bytes.pdf": rng.randbytes(50_000),
        "html-page.pdf": b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>\n",
        "header-only.pdf": b"%PDF-1.7\n",
        "encrypted-secret.pdf": _encrypted("secret"),
        "encrypted-empty.pdf": _encrypted(""),
        "nested-arrays.pdf": _nested(100_000),
        "bomb.pdf": _bomb(512),
    }
    for number in range(4):
        cut = rng.randrange(1, len(good) - 1)
        inputs[f"truncated-{number}.pdf"] = good[:cut]
    return inputs


def write_bad_inputs(directory: Path, rng: random.Random) -> dict[str, bytes]:
    inputs = bad_inputs(rng)
    for name, data in inputs.items():
        (directory / name).write_bytes(data)
    return inputs
