"""`toridaemon concepts`: in process through `main` and as a real subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, good_corpus
from tests.pdfgen import pdf_bytes
from tests.test_schema import SCHEMA
from toridaemon.cli import main
from toridaemon.pipeline.candidates import normalize

TEXT = (
    "Sparse Graph Embeddings\nAbstract\nWe learn sparse graph embeddings of road networks. Sparse graph "
    "embeddings preserve shortest paths.\n1 Introduction\nRoad networks are sparse graphs with millions of nodes.\n"
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env or config from the repository
    for name in list(os.environ):
        if name.startswith("TORI_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_text_file_top_n(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workdir / "paper.txt"
    path.write_text(TEXT)
    assert main(["concepts", "--top", "3", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    VALIDATOR.validate(result)
    assert 1 <= len(result["concepts"]) <= 3
    assert "sparse graph embedding" in {normalize(c["name"]) for c in result["concepts"]}


def test_a_text_file_not_valid_utf8_is_hashed_as_it_is(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`source` told the bytes of the text after invalid UTF-8 was replaced: 57 bytes and another hash for a
    47-byte file."""
    path = workdir / "bad.txt"
    data = TEXT.encode() + b"\xed\xa0\x80 bad \xff\xfe bytes\n"
    path.write_bytes(data)
    assert main(["concepts", str(path)]) == 0
    source = json.loads(capsys.readouterr().out)["source"]
    assert (source["bytes"], source["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())


def test_jsonl_with_a_pdf_and_a_failure(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = workdir / "paper.pdf"
    pdf.write_bytes(pdf_bytes(TEXT.split("1 Introduction")))
    broken = workdir / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    assert main(["concepts", "--jsonl", str(pdf), str(broken)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    VALIDATOR.validate(result)
    assert result["source"]["name"] == "paper.pdf" and result["source"]["pages"] == 2
    assert "broken.pdf" in captured.err


def _command() -> list[str]:
    """The installed `toridaemon`, else the module through this interpreter."""
    executable = REPO / ".venv" / "bin" / "toridaemon"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "toridaemon"]


def test_real_subprocess(workdir: Path) -> None:
    files = [workdir / "a.txt", workdir / "b.pdf"]
    files[0].write_text(TEXT)
    files[1].write_bytes(pdf_bytes([TEXT]))
    command = _command()
    done = subprocess.run(
        [*command, "concepts", "--jsonl", "--top", "5", *map(str, files)],
        capture_output=True, text=True, timeout=60, cwd=workdir, check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["source"]["name"] for r in results] == ["a.txt", "b.pdf"]
    for result in results:
        VALIDATOR.validate(result)
        assert 1 <= len(result["concepts"]) <= 5


def test_a_reader_that_stops_early_ends_the_command_quietly(workdir: Path) -> None:
    """`toridaemon concepts … | head -1`: once the reader is gone, the command stops with 141 (as a shell
    reports SIGPIPE) and no traceback. The output exceeds a pipe's buffer, so a write meets the closed pipe."""
    files = []
    for n in range(60):
        files.append(workdir / f"t{n}.txt")
        files[-1].write_text(TEXT + f"Variant {n} of the road network study.\n")
    command = _command()
    proc = subprocess.Popen([*command, "concepts", *map(str, files)], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().strip() == b"{"
    proc.stdout.close()
    try:
        assert proc.wait(60) == 141
    finally:
        proc.kill()
        error = proc.stderr.read()
        proc.stderr.close()
    assert b"Traceback" not in error, error.decode()


@pytest.mark.skipif(not good_corpus(), reason="shared corpus not present")
def test_real_pdfs_from_the_corpus(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = good_corpus(2)
    assert main(["concepts", "--jsonl", *map(str, paths)]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(results) == len(paths)
    for result in results:
        VALIDATOR.validate(result)
        assert result["concepts"] and result["sections"]
        assert all(c["context"] for c in result["concepts"][:5])


def test_a_failing_file_is_reported_and_the_rest_still_run(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No input is known to crash the pipeline any more, so a defect is simulated: analyze_text raises an
    # unexpected error (not a PipelineError) for one file. Everything else is real.
    from toridaemon import pipeline

    real = pipeline.analyze_text

    def flaky(text: str, **kwargs: object) -> object:
        if kwargs.get("name") == "bad.txt":
            raise KeyError("a defect")
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "analyze_text", flaky)
    files = [workdir / "a.txt", workdir / "bad.txt", workdir / "missing.txt", workdir / "c.txt"]
    for path in (files[0], files[1], files[3]):
        path.write_text(TEXT)
    assert main(["concepts", "--jsonl", *map(str, files)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["source"]["name"] for line in captured.out.splitlines()] == ["a.txt", "c.txt"]
    assert "bad.txt: KeyError" in captured.err and "missing.txt" in captured.err


def test_language_option(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workdir / "paper.txt"
    path.write_text(TEXT)
    assert main(["concepts", "--language", "de", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["language"] == "de"
    assert main(["concepts", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["language"] == "en"
    assert main(["concepts", "--language", "german", str(path)]) == 2
    assert "ISO 639-1" in capsys.readouterr().err


def _cli(workdir: Path, *args: str, stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE,
         preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_command(), *args], stdout=stdout, stderr=stderr, text=True, timeout=60, cwd=workdir,
                          check=False, preexec_fn=preexec_fn)


def test_a_fifo_or_a_device_is_refused_unread(workdir: Path) -> None:
    """A FIFO without a .pdf name blocked forever; /dev/zero was read without bound."""
    os.mkfifo(workdir / "fifo.txt")
    (workdir / "a.txt").write_text(TEXT)
    done = _cli(workdir, "concepts", "--jsonl", str(workdir / "fifo.txt"), "/dev/zero", str(workdir / "a.txt"))
    assert done.returncode == 1
    assert done.stderr.count("is not a regular file") == 2 and "Traceback" not in done.stderr
    assert [json.loads(line)["source"]["name"] for line in done.stdout.splitlines()] == ["a.txt"]


def test_an_output_that_cannot_be_written_is_one_sentence(workdir: Path) -> None:
    (workdir / "a.txt").write_text(TEXT)
    with open("/dev/full", "w") as full:
        done = _cli(workdir, "concepts", str(workdir / "a.txt"), stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 1
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_a_closed_standard_output_is_an_error_not_a_silent_success(workdir: Path) -> None:
    (workdir / "a.txt").write_text(TEXT)
    done = _cli(workdir, "concepts", str(workdir / "a.txt"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                preexec_fn=lambda: os.close(1))
    assert done.returncode == 2 and "standard output is closed" in done.stderr
