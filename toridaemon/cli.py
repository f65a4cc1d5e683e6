"""Command line: a thin layer over the Python API.

Exit codes: 0 ok; 1 some input failed (ingest, concepts), the daemon is unreachable (status) or the
journal needs a rebuild (journal check); 2 invalid configuration or usage, or standard output closed; 3 the
daemon could not start, or the journal cannot be read or repaired (lock held, unreadable state directory).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from toridaemon import __version__

if TYPE_CHECKING:
    from toridaemon.pipeline import PipelineOptions

EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_PIPE_CLOSED = 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)
EXIT_INTERRUPTED = 130  # and by SIGINT (128 + 2)
MAX_STATUS_BYTES = 16 << 20  # a /status answer is a few KB; anything far larger is no toridaemon
STATUS_SECONDS = 5.0  # for the whole answer of `status`
T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toridaemon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("--config", help="YAML settings file (else $TORI_CONFIG)")
    concepts = commands.add_parser("concepts", help="print the concepts of PDF or text files as JSON")
    concepts.add_argument("files", nargs="+", type=Path)
    concepts.add_argument("--top", type=_count, default=None, help="keep the N best concepts")
    concepts.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    concepts.add_argument("--config", help="YAML settings file for pipeline options")
    concepts.add_argument("--language", help="ISO 639-1 code of the documents' language, or 'auto' (the default)")
    check = commands.add_parser("check-config", help="validate settings and show where each value came from")
    check.add_argument("--config", help="YAML settings file (else $TORI_CONFIG)")
    ingest = commands.add_parser("ingest", help="process files or folders once, without the daemon")
    ingest.add_argument("targets", nargs="+", type=Path, help="PDF files or folders")
    ingest.add_argument("--outbox", type=Path, help="write <stem>.<sha8>.json files here (default: JSON lines)")
    ingest.add_argument("--config", help="YAML settings file (else $TORI_CONFIG)")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    status = commands.add_parser("status", help="print the running daemon's /status")
    status.add_argument("--config", help="YAML settings file, for metrics_host and metrics_port")
    status.add_argument("--url", help="status URL (default: from settings)")
    journal = commands.add_parser("journal", help="check the journal, or rebuild it from the outbox")
    journal.add_argument("action", choices=("check", "rebuild"))
    journal.add_argument("--config", help="YAML settings file (else $TORI_CONFIG)")
    reprocess = commands.add_parser("reprocess", help="forget a result so its PDF is processed again")
    reprocess.add_argument("target", help="a PDF, a result JSON, or a sha256")
    reprocess.add_argument("--config", help="YAML settings file (else $TORI_CONFIG)")
    commands.add_parser("compile-engine", help="compile the concept engine with mypyc, for this install (some 20 %% "
                        "faster; needs mypy, a C compiler and the Python headers)")
    commands.add_parser("version", help="print the version")
    return parser


def _count(text: str) -> int:
    """A number of things: 0 or more (a negative --top dropped concepts from the end)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _run,
        "concepts": lambda a: _concepts(a.files, a.top, a.jsonl, a.config, a.language),
        "check-config": lambda a: _check_config(a.config),
        "ingest": lambda a: _ingest(a.targets, a.outbox, a.config, not a.no_progress),
        "status": lambda a: _status(a.config, a.url),
        "journal": _journal,
        "reprocess": _reprocess,
        "compile-engine": lambda _args: _compile_engine(),
    }
    handler = handlers.get(args.command)
    if sys.stdout is None and _writes_to_stdout(args):  # started with `>&-`: the answer would vanish unsaid
        hint = " (or give --outbox)" if args.command == "ingest" else ""
        print(f"toridaemon {args.command}: standard output is closed; nowhere to write the answer{hint}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        if handler is not None:
            return handler(args)
        print(__version__)
    except BrokenPipeError:  # `toridaemon concepts … | head`: the reader has what it wanted
        _quiet_stdout()
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:  # Ctrl-C in `ingest` or `concepts`: stop, as a shell reports it, without a traceback
        print(f"toridaemon {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # the output cannot be written (`> /dev/full`, a full disk): one sentence
        print(f"toridaemon {args.command}: {exc.strerror or exc}", file=sys.stderr)
        _quiet_stdout()
        return EXIT_INPUT_FAILED
    return EXIT_OK


def _writes_to_stdout(args: argparse.Namespace) -> bool:
    """Whether the command's answer goes to standard output: every one but `run` (it logs) and `ingest --outbox`."""
    return args.command != "run" and not (args.command == "ingest" and args.outbox is not None)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of what is left raises nothing more."""
    if sys.stdout is None:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _run(args: argparse.Namespace) -> int:
    # Before the daemon's imports (0.16 s) and settings: a reload asked for by then changes nothing, and a SIGHUP
    # must not end the process; the daemon catches it from before its journal opens until it exits.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    from toridaemon.daemon import run_daemon

    return run_daemon(args.config)


def _compile_engine() -> int:
    from toridaemon.pipeline import native

    print(native.build())
    return EXIT_OK if native.current() else EXIT_INPUT_FAILED


def _journal(args: argparse.Namespace) -> int:
    from toridaemon.cli_state import journal_command

    return journal_command(args.action, args.config)


def _reprocess(args: argparse.Namespace) -> int:
    from toridaemon.cli_state import reprocess_command

    return reprocess_command(args.target, args.config)


def _concepts(files: list[Path], top: int | None, jsonl: bool, config: str | None, language: str | None) -> int:
    from pydantic import ValidationError

    from toridaemon.logs import printable
    from toridaemon.outcome import dumps_readable
    from toridaemon.settings import SettingsError, load_settings

    try:
        options = load_settings(config).settings.pipeline_options()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if language is not None:
        try:
            options = options.with_language(language)
        except ValidationError as exc:  # pydantic's own text named neither the option nor what it wants
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            print(f"toridaemon concepts: --language {language!r}: {message}", file=sys.stderr)
            return EXIT_USAGE
    status = EXIT_OK
    for path in files:
        try:
            data = _concepts_of(path, options)
        except Exception as exc:  # one bad file is reported, and the others still run
            print(printable(f"{path}: {type(exc).__name__}: {exc}"), file=sys.stderr)
            status = EXIT_INPUT_FAILED
            continue
        if top is not None:
            data["concepts"] = data["concepts"][:top]
        print(dumps_readable(data, indent=None if jsonl else 2), flush=True)
    return status


def _concepts_of(path: Path, options: PipelineOptions) -> dict[str, Any]:
    from toridaemon.pipeline import analyze_pdf, analyze_text

    if path.suffix.lower() == ".pdf":
        return analyze_pdf(path, options).to_dict()
    from toridaemon.fsutil import read_regular

    # Not a FIFO (a read would wait for a writer) nor a device (`/dev/zero` never ends), and bounded.
    data = read_regular(path, options.max_file_bytes)  # hashed as it is: `source` tells the file's own bytes
    return analyze_text(data, settings=options, name=path.name).to_dict()


def _ingest(targets: list[Path], outbox: Path | None, config: str | None, progress_asked: bool) -> int:
    import asyncio

    from toridaemon.ingest import collect_pdfs, ingest
    from toridaemon.logs import printable, stderr_is_a_tty
    from toridaemon.settings import SettingsError, load_settings

    try:
        settings = load_settings(config).settings
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    if outbox is not None:
        try:
            outbox.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file of that name: "File exists", naming nothing, and exit 1 ("some failed")
            print(f"toridaemon ingest: --outbox {outbox}: {exc.strerror or exc} (a folder is needed)", file=sys.stderr)
            return EXIT_USAGE
    progress = progress_asked and stderr_is_a_tty()
    files, problems = collect_pdfs(targets)
    for problem in problems:
        print(printable(problem), file=sys.stderr)
    summary = asyncio.run(_stopped_by_ctrl_c(ingest(files, settings, outbox, show_progress=progress)))
    failed = summary.failed + len(problems)
    print(f"{summary.done} done, {failed} failed", file=sys.stderr)
    return EXIT_INPUT_FAILED if failed else EXIT_OK


async def _stopped_by_ctrl_c(work: Coroutine[Any, Any, T]) -> T:
    """`work`, which Ctrl-C cancels once, from the loop (it closes what it started), and then ends as interrupted.
    asyncio.run's own handler raises KeyboardInterrupt at a second Ctrl-C wherever the main thread is, and a task
    it cut in the middle of a step never finished: `ingest` hung while closing in 1 run in 6 to 8."""
    import asyncio

    task = asyncio.ensure_future(work)
    interrupted: list[bool] = []

    def interrupt() -> None:
        if not interrupted:  # later ones would cut the close short
            interrupted.append(True)
            task.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        return await task
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _status(config: str | None, url: str | None) -> int:
    import http.client
    import urllib.error
    import urllib.request

    from toridaemon.logs import printable
    from toridaemon.settings import SettingsError, load_settings

    if url is None:
        try:
            settings = load_settings(config).settings
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return EXIT_USAGE
        from toridaemon.httpserver import http_url

        url = http_url(settings.metrics_host, settings.metrics_port, "/status")
    if not url.lower().startswith(("http://", "https://")):  # file:///dev/zero was read until memory ran out
        print(f"cannot read {printable(url)}: not an http(s) URL", file=sys.stderr)
        return EXIT_INPUT_FAILED
    def fetch() -> bytes:
        with urllib.request.urlopen(url, timeout=STATUS_SECONDS) as response:  # noqa: S310 - an operator's URL
            body: bytes = response.read(MAX_STATUS_BYTES + 1)
            if response.length and len(body) <= MAX_STATUS_BYTES:  # the server closed before its Content-Length
                raise http.client.IncompleteRead(body, response.length)
        return body

    # The socket timeout bounds each read, not the answer: a server sending a byte a second kept it going for
    # ever. The whole answer gets the same bound, on a thread the exit does not wait for.
    answer: concurrent.futures.Future[bytes] = concurrent.futures.Future()
    threading.Thread(target=_settle, args=(answer, fetch), name="status-fetch", daemon=True).start()
    try:
        body = answer.result(timeout=STATUS_SECONDS)
        if len(body) > MAX_STATUS_BYTES:
            raise ValueError(f"the answer is longer than {MAX_STATUS_BYTES} bytes: no toridaemon /status")
        print(json.dumps(json.loads(body), indent=2))
    except concurrent.futures.TimeoutError:
        print(f"cannot read {printable(url)}: no whole answer within {STATUS_SECONDS:g} s", file=sys.stderr)
        return EXIT_INPUT_FAILED
    except (urllib.error.URLError, OSError, ValueError, RecursionError, http.client.HTTPException) as exc:
        # InvalidURL: a bad port; RecursionError: JSON nested past Python's limit. Escaped: the server's bytes.
        print(f"cannot read {printable(url)}: {printable(str(exc)[:300])}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    return EXIT_OK


def _settle(future: concurrent.futures.Future[bytes], call: Callable[[], bytes]) -> None:
    try:
        future.set_result(call())
    except BaseException as exc:  # handed to the waiting thread, which says what failed
        future.set_exception(exc)


def _check_config(config: str | None) -> int:
    from toridaemon.settings import SettingsError, load_settings

    try:
        loaded = load_settings(config)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    values = loaded.settings.model_dump(mode="json")
    width = max(len(name) for name in values)
    for name, value in values.items():
        print(f"{name:<{width}}  {json.dumps(value)}  [{loaded.provenance[name]}]")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
