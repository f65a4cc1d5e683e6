"""The command line, through `main([...])` and as a real subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DaemonProcess, Dirs
from tests.pdfgen import make_pdf
from tests.polling import wait_for
from toridaemon import __version__
from toridaemon.cli import main
from toridaemon.pipeline import native


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_check_config_shows_values_and_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"max_attempts": 7}))
    monkeypatch.setenv("TORI_LOG_LEVEL", "debug")
    assert main(["check-config", "--config", str(config)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "7" in lines["max_attempts"] and f"[YAML file {config}]" in lines["max_attempts"]
    assert '"debug"' in lines["log_level"] and "[environment]" in lines["log_level"]
    assert "[default]" in lines["on_success"]


def test_check_config_exits_2_on_invalid_values(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text("on_success: shred\n")
    assert main(["check-config", "--config", str(config)]) == 2
    assert "on_success" in capsys.readouterr().err


def test_ingest_writes_results_and_reports_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORI_MAX_PARALLEL_WORKERS", "2")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "a.pdf", salt="a")
    make_pdf(folder / "sub" / "B.PDF", salt="b")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n broken")
    outbox = tmp_path / "out"
    assert main(["ingest", "--no-progress", "--outbox", str(outbox), str(folder)]) == 1
    names = sorted(p.name.split(".")[0] for p in outbox.glob("*.json"))
    assert names == ["B", "a"]
    assert (folder / "a.pdf").exists(), "ingest never moves its inputs"


def test_file_names_reach_the_terminal_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Names come from whoever drops files: "\x1b]0;…\x07\x1b[2J" in one retitled and cleared the terminal of the
    operator who ran `concepts *.pdf`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORI_MAX_PARALLEL_WORKERS", "1")
    hostile = tmp_path / "\x1b]0;pwn\x07\x1b[2Jreport\n.pdf"
    hostile.write_bytes(b"%PDF-1.7\n broken")
    assert main(["concepts", str(hostile)]) == 1
    assert main(["ingest", "--no-progress", "--outbox", str(tmp_path / "out"), str(hostile)]) == 1
    assert main(["status", "--url", "http://127.0.0.1:1/\x1b[2J"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.count("\\x1b]0;pwn\\x07\\x1b[2Jreport\\n.pdf") == 2 and "/\\x1b[2J" in err


def test_ingest_names_every_link_it_does_not_follow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A symlink to a PDF failed as `unreadable`, where the reasons table says `not_regular_file`; a dangling
    one and a symlink to a folder were passed over without a word, counted neither done nor failed."""
    monkeypatch.chdir(tmp_path)
    folder, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    make_pdf(folder / "a.pdf", salt="links")
    make_pdf(elsewhere / "far.pdf", salt="far")
    (folder / "link.pdf").symlink_to(folder / "a.pdf")
    (folder / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    (folder / "linked").symlink_to(elsewhere)
    listening = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(folder)  # a socket's path is bounded (108 bytes): bound by a short relative name
    listening.bind("sock.pdf")
    monkeypatch.chdir(tmp_path)
    try:
        assert main(["ingest", "--no-progress", "--outbox", str(tmp_path / "out"), str(folder)]) == 1
    finally:
        listening.close()
    error = capsys.readouterr().err
    assert f"{folder / 'link.pdf'}: not_regular_file: a symlink" in error
    assert f"{folder / 'dangling.pdf'}: not_regular_file: a symlink" in error
    assert f"{folder / 'sock.pdf'}: not_regular_file: a socket" in error  # it refuses the open: was `unreadable`
    assert f"{folder / 'linked'}: a symbolic link to a folder, not followed" in error
    assert error.rstrip().endswith("1 done, 4 failed")


def test_ingest_prints_json_lines_as_a_subprocess(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "one.pdf", salt="one")
    done = subprocess.run([sys.executable, "-m", "toridaemon", "ingest", "--no-progress", str(source)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["source"]["name"] for r in results] == ["one.pdf"]
    assert results[0]["concepts"]


def test_names_that_are_not_utf8_give_json_that_is(tmp_path: Path) -> None:
    """A Latin-1 name ("caf\\xe9.pdf") reached standard output as its raw byte: neither UTF-8 nor JSON a reader takes.
    Its one undecodable byte is now an escape, and the name reads back as the path it was."""
    name = os.fsdecode(b"caf\xe9.pdf")
    source = make_pdf(tmp_path / name, salt="latin")
    for command in (["ingest", "--no-progress"], ["concepts", "--jsonl"]):
        done = subprocess.run([sys.executable, "-m", "toridaemon", *command, str(source)], capture_output=True,
                              timeout=120, cwd=tmp_path, check=False)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.decode("utf-8"))  # strict: raised on the raw byte
        assert result["source"]["name"] == name


def test_ingest_with_standard_output_closed_says_so_before_any_work(tmp_path: Path) -> None:
    """It analysed every file, then died with a traceback (exit 1) writing the first result to nowhere."""
    source = make_pdf(tmp_path / "one.pdf", salt="closed")
    done = subprocess.run([sys.executable, "-m", "toridaemon", "ingest", "--no-progress", str(source)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path,
                          check=False, preexec_fn=lambda: os.close(1))
    assert done.returncode == 2 and "standard output is closed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["status"], ["check-config"], ["journal", "check"], ["journal", "rebuild"],
                                     ["reprocess", "0" * 64], ["version"]])
def test_a_command_started_with_standard_output_closed_does_nothing_and_exits_2(
    command: list[str], dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """`check-config`, `journal` and `version` printed their answer to nowhere and exited 0 (`status` too, when the
    daemon answered); `journal rebuild` rebuilt first. Python's sys.stdout is None when fd 1 starts closed."""
    for key, value in dirs.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "stdout", None)
    assert main(command) == 2
    assert "standard output is closed" in capsys.readouterr().err
    assert not any(dirs.state.iterdir()), "it acted"


def test_journal_rebuild_writes_its_log_lines_to_stderr_apart_from_its_answer(dirs: Dirs) -> None:
    """The rebuild's `journal_rebuilt` line went to stdout, structlog's default, amid the answer."""
    done = subprocess.run([sys.executable, "-m", "toridaemon", "journal", "rebuild"], capture_output=True, text=True,
                          timeout=60, cwd=dirs.root, env={**os.environ, **dirs.env()}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Rebuilt ") and done.stdout.count("\n") == 1, done.stdout
    assert "journal_rebuilt" in done.stderr


def test_ingest_whose_reader_stops_early_reports_no_crash_of_the_files_left(tmp_path: Path) -> None:
    """`toridaemon ingest DIR | head -1`: every file still queued when the pipe closed was reported as
    "worker_crashed: executor closed". They are not tried, and nothing is said of them."""
    (tmp_path / "in").mkdir()
    for number in range(20):  # each a result after the first: the pipe is closed long before the last
        make_pdf(tmp_path / "in" / f"f{number:02d}.pdf", salt=f"early{number}")
    env = {**os.environ, "TORI_MAX_PARALLEL_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "toridaemon", "ingest", "--no-progress", str(tmp_path / "in")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["source"]["name"].endswith(".pdf")
    proc.stdout.close()
    try:
        assert proc.wait(120) == 141
    finally:
        proc.kill()
        error = proc.stderr.read().decode()
        proc.stderr.close()
    assert "worker_crashed" not in error and "Traceback" not in error, error


@pytest.mark.e2e
def test_status_reads_the_running_daemon(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    daemon = daemon_factory()
    daemon.wait_ready()
    url = daemon.metrics_url.replace("/metrics", "/status")
    assert main(["status", "--url", url]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["ready"] is True and status["version"] == __version__
    assert daemon.stop() == 0
    assert main(["status", "--url", url]) == 1


def test_a_bad_concept_database_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "mine.yaml"
    broken.write_text("concepts: [{aliases: [x]}]\n")
    monkeypatch.setenv("TORI_CONCEPT_DB_PATHS", json.dumps([str(broken), str(tmp_path / "missing.json")]))
    text = tmp_path / "doc.txt"
    text.write_text("Graph neural networks for molecule property prediction.")
    assert main(["concepts", str(text)]) == 2
    err = capsys.readouterr().err
    assert "concept_db_paths" in err and str(broken) in err and "missing.json" in err
    assert main(["check-config"]) == 2


def test_operator_mistakes_on_the_command_line_are_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    """A negative --top silently dropped the last concepts; a URL with a bad port ended in a traceback."""
    with pytest.raises(SystemExit) as stopped:
        main(["concepts", "--top", "-3", "notes.txt"])
    assert stopped.value.code == 2 and "must be 0 or more" in capsys.readouterr().err
    assert main(["status", "--url", "http://127.0.0.1:abc/status"]) == 1
    assert "cannot read http://127.0.0.1:abc/status" in capsys.readouterr().err


@pytest.mark.parametrize(("when", "presses"), [("starting", 1), ("working", 1), ("starting", 2)])
def test_ctrl_c_stops_ingest_with_exit_130_and_no_traceback(tmp_path: Path, when: str, presses: int) -> None:
    """A terminal's Ctrl-C reaches the whole process group: the forkserver (still importing the pipeline) and
    every worker died of it with a traceback each. Now the command stops, and its helpers with it. Pressed twice
    while the pool started, the second one, raised wherever the main thread was, left a task that never finished:
    the command hung while closing in 1 run in 6 to 8."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for index in range(300):
        make_pdf(inbox / f"doc{index}.pdf", [f"Document {index} on sparse graph embeddings."])
    proc = subprocess.Popen([sys.executable, "-m", "toridaemon", "ingest", "--no-progress", str(inbox)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, start_new_session=True)
    assert proc.stdout is not None
    if when == "starting":  # the forkserver is importing the pipeline (seconds), past its interpreter's start
        wait_for(lambda: _children(proc.pid), 30, what="the forkserver")
        time.sleep(0.3)
    else:
        proc.stdout.readline()  # a first result: the workers are busy
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode() and "interrupted" in err.decode()


def _children(pid: int) -> list[str]:
    """The processes `pid` started, from any of its threads (the kernel lists them per forking thread)."""
    return [child for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()]


@pytest.mark.timeout(30)
def test_status_reads_only_http_and_only_a_bounded_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """`status --url file:///dev/zero` (or any endless answer) was read until memory ran out."""

    def endless(wfile: Any) -> None:
        chunk = b"a" * (1 << 20)
        for _ in range(64):  # the client stops reading: that is the point
            wfile.write(chunk)

    server = _serve(endless)
    try:
        assert main(["status", "--url", f"http://127.0.0.1:{server.server_address[1]}/status"]) == 1
        assert "longer than" in capsys.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
    assert main(["status", "--url", "file:///dev/zero"]) == 1
    assert "not an http(s) URL" in capsys.readouterr().err


def _serve(body: Callable[[Any], None], headers: dict[str, str] | None = None) -> Any:
    """A local HTTP server whose GET answers 200 with `headers` and then calls `body(wfile)`; its shutdown is the
    caller's."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(OSError):  # the client went away
                body(self.wfile)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_status_bounds_the_whole_answer_and_says_what_a_bad_one_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server sending a byte every 0.2 s kept `status` reading (the timeout bounds each read), and JSON nested
    past Python's recursion limit ended in a traceback."""
    from toridaemon import cli

    monkeypatch.setattr(cli, "STATUS_SECONDS", 1.0, raising=False)

    def drip(wfile: Any) -> None:
        for _ in range(30):  # six seconds in all
            wfile.write(b"[")
            wfile.flush()
            time.sleep(0.2)

    def nested(wfile: Any) -> None:
        wfile.write(b"[" * 200_000 + b"]" * 200_000 + b"\x00\x1b[2J")

    def cut(wfile: Any) -> None:
        wfile.write(b"{}")  # of the 100 bytes the header promised: valid JSON, yet not the whole answer

    for body, said in ((drip, "no whole answer within 1 s"), (nested, "cannot read"), (cut, "IncompleteRead")):
        server = _serve(body, {"Content-Length": "100"} if body is cut else None)
        try:
            assert main(["status", "--url", f"http://127.0.0.1:{server.server_address[1]}/status"]) == 1
            err = capsys.readouterr().err
            assert said in err and "Traceback" not in err and "\x1b" not in err
        finally:
            server.shutdown()
            server.server_close()


def test_option_mistakes_name_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`ingest --outbox FILE` said only "File exists" and exit 1 ("some failed"); `concepts --language ''` printed
    pydantic's own text, naming neither the option nor what it wants."""
    monkeypatch.chdir(tmp_path)
    text = tmp_path / "t.txt"
    text.write_text("Graph clustering of road networks.")
    assert main(["ingest", "--outbox", str(text), str(text)]) == 2
    assert f"--outbox {text}" in capsys.readouterr().err
    for language in ("", "en-US", "xx"):
        assert main(["concepts", "--language", language, str(text)]) == 2
        err = capsys.readouterr().err
        assert f"--language {language!r}" in err and "ISO 639-1" in err and "validation error" not in err


def test_status_finds_a_daemon_on_an_ipv6_address(dirs: Dirs, daemon_factory: Callable[..., DaemonProcess],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`status` built http://::1:PORT/status from the settings, which is no URL: the host needs brackets."""
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback here")
    environ = {**dirs.env(), "TORI_METRICS_HOST": "::1", "TORI_METRICS_PORT": str(port)}
    daemon = daemon_factory(extra_env=environ)
    daemon.wait_ready()
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(dirs.root)
    assert main(["status"]) == 0
    assert json.loads(capsys.readouterr().out)["ready"] is True
    assert daemon.get("/healthz")[0] == 200  # the metrics URL the daemon logs is one too
    assert daemon.stop() == 0


@pytest.mark.parametrize(("compiled", "code"), [(True, 0), (False, 1)])
def test_compile_engine_says_what_the_build_did_and_fails_when_nothing_is_compiled(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], compiled: bool, code: int) -> None:
    # The build is replaced here (a real one takes some 20 s of CPU): tests/test_native.py tests the build itself.
    monkeypatch.setattr(native, "build", lambda: "what the build did")
    monkeypatch.setattr(native, "current", lambda: compiled)
    assert main(["compile-engine"]) == code
    assert capsys.readouterr().out == "what the build did\n"
