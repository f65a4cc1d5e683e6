"""Durable outcomes: the result or failure record is on disk before the input leaves the inbox.

Every step is idempotent so that a retry after a crash at any instant finishes the job exactly once:
an output that already holds this content's sha256 is reused instead of written again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from toridaemon.executors.base import Failure, JobOutcome
from toridaemon.fsutil import (
    Replaced,
    candidate_names,
    free_path,
    fsync_dir,
    move_durably,
    read_output,
    same_content,
    unlink_expected,
    write_atomic,
)
from toridaemon.hashing import FileIdentity
from toridaemon.logs import get_logger
from toridaemon.watching import identity

log = get_logger("toridaemon.outcome")

OnSuccess = Literal["move", "delete", "keep"]
ERROR_SUFFIX = ".error.json"
# Names are limited to 255 bytes; ours add ".<sha8>.json", ".error.json" or a "-N" suffix.
MAX_NAME_BYTES = 200


def short_name(name: str, limit: int = MAX_NAME_BYTES, cut: Callable[[str, int], str] | None = None) -> str:
    """`name` cut to `limit` bytes before its extension, so derived names stay within NAME_MAX."""
    raw = os.fsencode(name)
    if len(raw) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(os.fsencode(ext)) > 16:
        stem, ext = name, ""
    kept = (cut or cut_bytes)(stem, limit - len(os.fsencode(ext)) - 1)
    return f"{kept}.{ext}" if ext else kept


def _stem(name: str) -> str:
    """An input's name without its ".pdf": the stem its result is named by."""
    return name[:-4] if name.lower().endswith(".pdf") else name


def _byte_cut(text: str, limit: int) -> str:
    """How names were cut before `cut_bytes` (inside a character, and a result's whole name, its ".<sha8>" with
    it): outputs written so are still found (a crash across the upgrade, a failure moved back later)."""
    return os.fsdecode(os.fsencode(text)[:limit])


def cut_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes: at a character boundary when it is UTF-8 (a cut inside a character made
    a name no UTF-8 tool reads), else byte-wise (a name that was no UTF-8 stays bytes)."""
    raw = os.fsencode(text)
    if len(raw) <= limit:
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsdecode(raw[:limit])
    return raw[:limit].decode("utf-8", "ignore")


class Outcomes:
    """Writes results and failure records and moves inputs, per the directories and `on_success`."""

    def __init__(self, outbox: Path, processed: Path, failed: Path, on_success: OnSuccess,
                 write: Callable[[Path, bytes], None] = write_atomic) -> None:
        self.outbox, self.processed, self.failed = outbox, processed, failed
        self.on_success = on_success
        self._write = write  # a seam: fault-injection tests pass a writer that raises ENOSPC/EIO
        # The folder each output folder is in, as it was at start: one gone is made again only there (see `_made`).
        self._homes = {folder: identity(folder.parent) for folder in (outbox, processed, failed)}
        self._making = threading.Lock()
        self._naming = threading.Lock()
        self._taking: set[Path] = set()  # names chosen for moves under way (see `_reserved`)

    def result_path(self, name: str, sha256: str) -> Path:
        suffix = f".{sha256[:8]}.json"  # cut the stem, never this: it tells results apart and `reprocess` finds them
        return free_path(self.outbox, cut_bytes(_stem(name), MAX_NAME_BYTES - len(suffix)) + suffix,
                         lambda p: not os.path.lexists(p) or json_sha(p, "source") == sha256)

    def found_result(self, name: str, sha256: str) -> Path | None:
        """The result of `name` with this content already in the outbox, also under the names long ones were cut
        to before; None when there is none."""
        return self._found_at(self.result_path(name, sha256), name, sha256)

    def _found_at(self, path: Path, name: str, sha256: str) -> Path | None:
        """`found_result`, given the name `result_path` gives now."""
        if path.exists():
            return path
        legacy = short_name(f"{_stem(name)}.{sha256[:8]}.json", cut=_byte_cut)
        if legacy == path.name:
            return None
        for candidate in candidate_names(legacy):
            old = self.outbox / candidate
            if not os.path.lexists(old):
                return None
            if json_sha(old, "source") == sha256:
                return old
        return None

    def write_result(self, name: str, result: dict[str, Any]) -> Path:
        sha256 = result["source"]["sha256"]
        self._made(self.outbox)
        target = self.result_path(name, sha256)
        found = self._found_at(target, name, sha256)  # under an older name too: one result per content, ever
        if found is not None:
            return found
        self._write(target, _dumps(result))
        return target

    def stored_result(self, name: str, sha256: str) -> tuple[Path, dict[str, Any]] | None:
        """The result file of `name` with this content (under an older name too) and what it holds, if any."""
        found = self.found_result(name, sha256)
        return None if found is None else (found, json.loads(read_output(found)))

    def existing(self, name: str, sha256: str) -> JobOutcome | None:
        """An outcome a crash left on disk for this name and content, so the input is settled, not re-parsed."""
        stored = self.stored_result(name, sha256)
        if stored is not None:
            return JobOutcome(result=stored[1])
        record = find_failure_record(self.failed, name, sha256)
        if record is None or os.path.lexists(record):
            return None  # no record, or a finished failure whose input already moved beside it
        data = json.loads(read_output(_error_path(record)))
        return JobOutcome(failure=Failure(data["stage"], data["reason"], data["message"]))

    def retire_failure(self, name: str, sha256: str, written_before: float | None = None) -> bool:
        """Delete the failure record of `name` with this content when its input is no longer beside it
        (moved back into the inbox to be tried again), so it cannot answer for the new try; with `written_before`
        (a time), only a record written before then."""
        record = find_failure_record(self.failed, name, sha256)
        if record is None or os.path.lexists(record):
            return False
        if written_before is not None and not _written_before(_error_path(record), written_before):
            return False
        _error_path(record).unlink(missing_ok=True)
        fsync_dir(self.failed)
        return True

    def settle_input(self, pdf: Path, on_success: OnSuccess | None = None, *, reuse_identical: bool = True,
                     expect: FileIdentity | None = None) -> Path | None:
        """Apply `on_success` to an input whose result is durable; returns where it is now.

        With `reuse_identical`, a file of the same name and bytes already in processed/ is this input's own
        copy, left by a move across filesystems that a crash cut before the input's unlink: it is replaced,
        not kept beside a second copy. A duplicate (the same bytes dropped again) is kept apart, under its own
        name. With `expect` (the identity of the file read), a file renamed over the input's name since is left
        in the inbox (`Replaced`)."""
        mode = on_success or self.on_success
        if mode == "keep" or not pdf.exists():
            return pdf if mode == "keep" else None
        if mode == "delete":
            unlink_expected(pdf, expect)
            return None
        def is_free(path: Path) -> bool:
            return not os.path.lexists(path) or (reuse_identical and same_content(path, pdf))

        self._made(self.processed)
        with self._reserved(self.processed, short_name(pdf.name), is_free) as target:
            move_durably(pdf, target, expect)
        return target

    @contextlib.contextmanager
    def _reserved(self, folder: Path, name: str, is_free: Callable[[Path], bool]) -> Iterator[Path]:
        """The first free name for `name` in `folder`, kept from the daemon's other outcomes until the move into
        it is done: two inputs settled at once whose names end alike ("a/x.pdf" and "b/x.pdf", long names cut
        to the same start) both found it free, and the later rename replaced the earlier input."""
        with self._naming:
            target = free_path(folder, name, lambda path: path not in self._taking and is_free(path))
            self._taking.add(target)
        try:
            yield target
        finally:
            with self._naming:
                self._taking.discard(target)

    def _made(self, folder: Path) -> None:
        """Make an output folder again when it is gone (a clean-up removed it while the daemon ran), as the start
        made it: otherwise every outcome failed and each file was parsed again until a restart. Only inside the
        folder that held it at start: where that is another one now (a volume unmounted from under it), the
        outcome would be written where the volume, once back, hides it; the file waits in the inbox instead.
        Checked under a lock, so no outcome goes into the new folder before its entry is durable."""
        with self._making:
            if folder.is_dir():
                return
            home = self._homes.get(folder)
            if home is None or identity(folder.parent) != home:
                raise FileNotFoundError(errno.ENOENT, "output folder gone, and the folder that held it is not the "
                                        "one it was in at start (an unmounted volume?)", str(folder))
            folder.mkdir()
            fsync_dir(folder.parent)
        log.warning("output_directory_made_again", directory=str(folder))

    def write_failure(self, pdf: Path, sha256: str | None, failure: Failure, expect: FileIdentity | None = None
                      ) -> Path:
        """Write `<name>.error.json` into failed/, then move the input beside it (see `settle_input` for
        `expect`: a record written for an input that was replaced meanwhile is taken back)."""
        def is_free(path: Path) -> bool:
            error = _error_path(path)
            ours = sha256 is not None and json_sha(error, None) == sha256
            if os.path.lexists(path):  # free only when it is this input's own copy (a cut cross-device move)
                return ours and same_content(path, pdf)
            return not os.path.lexists(error) or ours

        self._made(self.failed)
        with self._reserved(self.failed, short_name(pdf.name), is_free) as target:
            record = {"stage": failure.stage, "reason": failure.reason, "message": failure.message,
                      "at": datetime.now(UTC).isoformat(timespec="microseconds"), "sha256": sha256, "name": pdf.name}
            error_path = _error_path(target)
            written = not error_path.exists()
            if written:
                self._write(error_path, _dumps(record))
            if pdf.exists():
                try:
                    move_durably(pdf, target, expect)
                except Replaced as replaced:
                    if written and not replaced.moved:  # no input of this content is beside it
                        error_path.unlink(missing_ok=True)
                        fsync_dir(self.failed)
                    raise
        return target


def find_failure_record(failed: Path, name: str, sha256: str) -> Path | None:
    """Where `Outcomes.write_failure` put (or was putting) the input with this content: the PDF path
    whose `.error.json` holds `sha256`, searched up to the first name it would have taken."""
    for first in dict.fromkeys((short_name(name), short_name(name, cut=_byte_cut))):  # the old cut too
        for candidate in candidate_names(first):
            error = failed / (candidate + ERROR_SUFFIX)
            if json_sha(error, None) == sha256:
                return failed / candidate
            if not os.path.lexists(error) and not os.path.lexists(failed / candidate):
                break
    return None


def _written_before(error: Path, moment: float) -> bool:
    """Whether the failure record at `error` says it was written before `moment`; False when it cannot tell."""
    try:
        at = json.loads(read_output(error)).get("at")
        return isinstance(at, str) and datetime.fromisoformat(at).timestamp() < moment
    except (OSError, ValueError, AttributeError):
        return False


def _error_path(pdf_target: Path) -> Path:
    return pdf_target.with_name(pdf_target.name + ERROR_SUFFIX)


def _dumps(data: dict[str, Any]) -> bytes:
    """`data` as JSON a reader can scan: a line per top-level field, and per element of a top-level list (one
    concept a line). Each piece goes through the C encoder; `indent=` would use the pure-Python one, which
    cost the daemon a third of its own CPU per file. ASCII escapes keep names that are not valid UTF-8
    (surrogates) round-trippable and the file valid JSON."""
    fields = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            elements = ",\n    ".join(_compact(element) for element in value)
            fields.append(f"  {_compact(key)}: [\n    {elements}\n  ]")
        else:
            fields.append(f"  {_compact(key)}: {_compact(value)}")
    return ("{\n" + ",\n".join(fields) + "\n}\n").encode("ascii")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps_readable(data: Any, indent: int | None = None) -> str:
    """`data` as JSON text that encodes as UTF-8: non-ASCII letters as they are, for a reader, and only the lone
    surrogates a name that is not valid UTF-8 decodes to as escapes (as such, they could not be written out)."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _piece_encoder() -> Callable[[Any], str]:
    """`JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode`, built once: that method makes a new C
    encoder at each call, and `_dumps` calls it once per concept, which cost as much as the encoding itself (some
    60 µs of a result's 195). No check for cycles (results are trees), so it is safe from any thread."""
    make = getattr(json.encoder, "c_make_encoder", None)
    plain = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "))
    if make is None:  # an interpreter without the C accelerator
        return plain.encode
    encode = make(None, plain.default, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encode(value, 0))


_compact = _piece_encoder()


def json_sha(path: Path, section: str | None) -> str | None:
    """The sha256 recorded in an output file, or None when it is absent or not ours."""
    try:
        data = json.loads(read_output(path))  # a FIFO at the name is not ours, and must not block
    except (OSError, ValueError):
        return None
    holder = data.get(section) if section and isinstance(data, dict) else data  # `[]` or `1` is no output of ours
    value = holder.get("sha256") if isinstance(holder, dict) else None
    return value if isinstance(value, str) else None
