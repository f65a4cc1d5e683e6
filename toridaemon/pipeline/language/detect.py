"""Which language a document is written in: py3langid on a bounded sample of its text.

Why py3langid: a naive Bayes model over byte n-grams (97 languages) that ships inside its wheel (4.5 MB,
BSD-3-Clause), answers in well under a millisecond for a page of text and loads in about a second, once per process
(some 80 ms with its tables kept by `warmcache`). lingua is more accurate on single short sentences, but its
models are many times larger (some 800 MB of memory for all of them in high-accuracy mode, by its author's account)
and it is slower; a document gives the detector paragraphs, where both agree.

py3langid walks its byte automaton in a Python loop (about a microsecond a byte, as much as the rest of a short
document's analysis); `_Identifier` does the same walk with numpy and sums the same counts, in the same order, as
py3langid's scoring does, so the answers are identical (tests/test_language.py compares them). The model's weights
ship as float16, and converting the rows a text selects to float32 took half of the scoring time: the identifier
selects from a float32 copy of the whole table (57 MB), kept on disk by `warmcache` with the model's other tables
(`_tables`) and read in place, shared by the workers a forkserver forks.

Where the concept engine is compiled (`native.kernel`), the walk and the selection of rows run in C
(`langid_walk.c`), with the same results: in the pipeline, between documents, the tables' lines are no longer
cached, and the C overlaps the waits for them (WikiNews' French news, in the pipeline: 161 to 182 µs of detection a
text in numpy, 100 to 123 in C).
"""

from __future__ import annotations

import ctypes
import io
import json
import lzma
import math
import struct
import threading
from array import array
from collections.abc import Callable
from itertools import islice
from typing import Any

import numpy as np
import regex
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from toridaemon.pipeline import native, warmcache
from toridaemon.pipeline.language.resources import ALIASES

SAMPLE_CHARS = 750  # a text this short is read whole; a longer one in slices spread over it (`_sample`)
_SLICE_CHARS = SAMPLE_CHARS // 3
# One slice per this many characters, 3 to `_MAX_SLICES`: a thesis in German with an English abstract and English
# references was read as English from three slices (start, middle, end). Given an English abstract (1,200 characters)
# and references (2,500), 206 of 229 texlive manuals in ten language packages kept their language with these
# figures, 151 with three slices; the cost is some 0.2 ms a long document.
_SLICE_SPACING = 2000
_MAX_SLICES = 12
MIN_CONFIDENCE = 0.5  # a normalised probability below this is "unsure"
MIN_LETTERS = 12
MIXED_CHARS = 4 * SAMPLE_CHARS  # a shorter text is not told to be of several languages
PASSAGE_CHARS = 400
_PASSAGES = 5
_AGREEING = 2
# Languages so close that the model splits a text's probability among them: Serbian in Latin letters was 0.43
# Croatian, 0.30 Bosnian and 0.28 Serbian, so "unsure". Their resources are one (`resources._WORDFREQ_CODES`, the
# aliases below) or nearly (Malay and Indonesian share most of their words), so the likeliest of them is told when
# together they are likely enough.
_KINDRED = (frozenset(("hr", "bs", "sr")), frozenset(("nb", "nn", "no")), frozenset(("ms", "id")))
_KIN = {code: group for group in _KINDRED for code in group}
_LETTER = regex.compile(r"\p{L}")
# The automaton's states are those of an Aho-Corasick trie of byte n-grams, none deeper than this: the state after
# a byte depends only on the bytes of this window ending there (a test checks the depth of the shipped model).
WINDOW = 6
_LAYOUT = "tables v3: float32 weights, int64 outputs, offsets padded to 64 bytes"  # names the kept `_tables`
# The npz file's tables, each with the type it is kept in (None: as shipped).
_TYPES: dict[str, str | None] = {"ptc": "<f4", "pc": "<f4", "nextmove": None, "nextmove_row": None, "out_feat": "<i8"}
_LENGTH = struct.Struct("<Q")
_ALIGN = 64
_lock = threading.Lock()
_arrays_lock = threading.Lock()  # `_Identifier._walk_arrays`
_identifier: list[Any] = []
_kernels: list[ctypes.CDLL | None] = []


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language of `text`, or None when there is too little text or the model is unsure."""
    sample = _sample(text)
    if sum(1 for _ in islice(_LETTER.finditer(sample), MIN_LETTERS)) < MIN_LETTERS:
        return None
    model = _model()
    code, confidence = model.classify(sample)
    if confidence < MIN_CONFIDENCE and code in _KIN:
        confidence = sum(float(probability) for other, probability in model.rank(sample) if other in _KIN[code])
    if confidence < MIN_CONFIDENCE or not isinstance(code, str) or len(code) != 2:
        return None
    return ALIASES.get(code, code)


def other_languages(text: str, language: str | None) -> tuple[str, ...]:
    """The languages other than `language` of passages of a long text (a user guide in Italian before its code
    documented in English), in order; none for a text shorter than `MIXED_CHARS` or of no known language. Each of
    `_PASSAGES` passages spread over the text is detected on its own (the one sample of `detect_language` tells
    the main language only), and a language counts when two passages or more are in it: one is a quotation, a
    reference in the bibliography or a code listing the detector misreads."""
    if language is None or len(text) < MIXED_CHARS:
        return ()
    step = (len(text) - PASSAGE_CHARS) // (_PASSAGES - 1)
    passages = [text[start : start + PASSAGE_CHARS] for start in range(0, step * _PASSAGES, step)]
    kin = _KIN.get(language, frozenset((language,)))  # a passage told Indonesian in Malay is no other language
    return passage_languages(passages, kin, detect_language)


def passage_languages(passages: list[str], kin: frozenset[str], detect: Callable[[str], str | None],
                      ) -> tuple[str, ...]:
    """The languages outside `kin` that `_AGREEING` or more of `passages` are in (as `detect` tells), in order. The
    passages left are not read once they could not change that: the last passage of a text all in one language
    (a detection, some 0.1 ms, of every long document)."""
    others: list[str] = []  # the passages' languages outside `kin`, in order
    for read, passage in enumerate(passages):
        if _settled(others, len(passages) - read):
            break
        code = detect(passage)
        if code is not None and code not in kin:
            others.append(code)
    return tuple(code for code in dict.fromkeys(others) if others.count(code) >= _AGREEING)


def _settled(others: list[str], left: int) -> bool:
    """Whether `left` passages more could not change which of the languages met (`others`) count: none met could
    come to count, and none not met could."""
    return left < _AGREEING and not any(others.count(code) < _AGREEING <= others.count(code) + left for code in others)


def _sample(text: str) -> str:
    """Slices spread evenly over a long text, its start and end among them: a front page, an abstract or the
    references may be in another language than the body, and they must not outweigh it."""
    if len(text) <= SAMPLE_CHARS:
        sample = text
    else:
        slices = max(3, min(_MAX_SLICES, len(text) // _SLICE_SPACING))
        step = (len(text) - _SLICE_CHARS) / (slices - 1)
        starts = [round(index * step) for index in range(slices)]
        sample = " ".join(text[start : start + _SLICE_CHARS] for start in starts)
    # Lone surrogates cannot be encoded; the model reads UTF-8 bytes.
    return sample.encode("utf-8", "replace").decode("utf-8")


def kernel() -> ctypes.CDLL | None:
    """The compiled walk (`langid_walk.c`) when the engine is compiled, loaded once; None without it."""
    with _lock:
        if not _kernels:
            _kernels.append(_load_kernel())
        return _kernels[0]


def _load_kernel() -> ctypes.CDLL | None:
    path = native.kernel("langid_walk")
    if path is None:
        return None
    try:
        library = ctypes.CDLL(str(path))
    except OSError:  # gone since the engine was served (a newer build's clean-up): numpy does the same work
        return None
    pointer, size = ctypes.c_void_p, ctypes.c_int64
    library.lid_visits.argtypes = [pointer, size, pointer, pointer, pointer, pointer, pointer]
    library.lid_visits.restype = size
    library.lid_rows.argtypes = [pointer, size, pointer, size, pointer]
    library.lid_rows.restype = None
    return library


def _model() -> Any:
    with _lock:
        if not _identifier:
            _identifier.append(_load_identifier())
        return _identifier[0]


def _load_identifier() -> _Identifier:
    """py3langid's model as `_Identifier` reads it, derived once per machine (`_tables`) and read in place."""
    packed = (MODEL_DIR / MODEL_FILE).read_bytes()
    return warmcache.load_or_build("langid", lambda: warmcache.digest(packed, _LAYOUT), lambda: _tables(packed),
                                   _identifier_of)


def _tables(packed: bytes) -> bytes:
    """The model's xz-packed npz file (read as `py3langid.modelio.load_model` reads it) as one buffer of its tables
    in the types the walk and the scoring use (`_TYPES`), after a JSON header naming each: unpacking the xz file,
    reading the npz and converting its tables took some 0.25 s in every process, reading this buffer some 80 ms.
    The buffer is written table by table: one table at a time is held beside it and the unpacked file."""
    unpacked = io.BytesIO(lzma.decompress(packed))
    with np.load(unpacked, allow_pickle=False) as data:
        layout, offset = [], 0
        for name, kind in _TYPES.items():
            table = data[name]  # read once for its shape, again below: this is done once per machine
            layout.append((name, kind or table.dtype.str, table.shape, offset))
            offset += _padded(table.size * np.dtype(kind or table.dtype).itemsize)
            del table
        header = json.dumps({"classes": data["classes"].tolist(), "tables": layout}).encode()
        start = _padded(_LENGTH.size + len(header))
        buffer = bytearray(start + offset)
        buffer[: _LENGTH.size + len(header)] = _LENGTH.pack(len(header)) + header
        for name, kind, shape, at in layout:
            view = np.frombuffer(buffer, dtype=np.dtype(kind), count=math.prod(shape), offset=start + at)
            view[...] = data[name].reshape(-1)
            del view
    del unpacked  # before the copy below: not three copies of the model at once
    return bytes(buffer)


def _identifier_of(buffer: bytes) -> _Identifier:
    """The identifier of a `_tables` buffer, its tables read-only views of it (no copy); raises (`ValueError` and
    others) for a buffer that is not one, and the cache then derives it again."""
    (length,) = _LENGTH.unpack_from(buffer)
    header = json.loads(buffer[_LENGTH.size : _LENGTH.size + length])
    classes, start = header["classes"], _padded(_LENGTH.size + length)
    end = start
    tables = {}
    for name, kind, shape, at in header["tables"]:  # in order, each from where the one before ends
        if name not in _TYPES or kind != (_TYPES[name] or kind) or kind[:1] not in "<|" or (
                np.dtype(kind).kind not in "uif" or start + at != end):
            raise ValueError(f"not a table of the language model: {name} {kind} at {at}")
        table = np.frombuffer(buffer, dtype=np.dtype(kind), count=math.prod(shape), offset=end)
        table.flags.writeable = False
        tables[name] = table.reshape(shape)
        end += _padded(table.nbytes)
    if list(tables) != list(_TYPES) or len(buffer) != end or not _consistent(tables, classes):
        raise ValueError("not a buffer of the language model's tables")
    return _Identifier(tables["ptc"], tables["pc"], classes, tables["nextmove"], tables["out_feat"],
                       norm_probs=True, tk_row=_to_array(tables["nextmove_row"]))


def _consistent(tables: dict[str, Any], classes: list[str]) -> bool:
    """Whether the tables fit each other: a weight per class and feature, rows of 256 moves, a feature or none
    (-1) per state, and every state, row and feature inside its table."""
    weights, moves, rows, outputs = tables["ptc"], tables["nextmove"], tables["nextmove_row"], tables["out_feat"]
    return bool(
        weights.ndim == 2 and weights.shape[1] == len(classes) == tables["pc"].shape[0] and moves.ndim == 1
        and moves.dtype.kind == "u" and rows.dtype.kind == "u" and rows.itemsize in (2, 4, 8)
        and moves.size % 256 == 0 and rows.size == outputs.size and rows.size
        and int(rows.max()) * 256 < moves.size and int(moves.max()) < rows.size
        and int(outputs.min()) >= -1 and int(outputs.max()) < weights.shape[0]
    )


def _padded(size: int) -> int:
    return -(-size // _ALIGN) * _ALIGN


def _to_array(values: Any) -> array[int]:
    """An unsigned numpy array as a stdlib array (`modelio._to_array`): py3langid shifts its items, which must not
    wrap as numpy's 16-bit integers would."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _address(array: Any) -> int:
    """Where the data of a contiguous numpy array is. A writable one's is read through a ctypes view of it, in a
    third of the time `.ctypes.data` takes (1 µs against 3, four times a detection)."""
    if array.size and array.flags.writeable:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    return int(array.ctypes.data)


def _in_first_order(features: Any) -> tuple[Any, Any]:
    """The distinct values of `features` (int64 feature numbers) in order of first occurrence, and how often each
    occurs. Each value is packed with its position into one int64 (the model's 10**5 features and a sample's few
    thousand bytes use some 30 bits), so two plain sorts, which numpy runs with SIMD, do the work: `np.unique`
    with `return_index`, a stable argsort, took twice as long (63 µs against 35 µs a sample on average)."""
    size = len(features)
    if not size:
        return features, features
    shift = size.bit_length()
    low = (1 << shift) - 1
    keys = np.sort((features << shift) | np.arange(size))  # by value, then by position
    values = keys >> shift
    starts = np.empty(size, dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    (firsts,) = starts.nonzero()
    counts = np.empty(len(firsts), dtype=np.int64)
    np.subtract(firsts[1:], firsts[:-1], out=counts[:-1])
    counts[-1] = size - firsts[-1]
    order = np.sort(((keys[firsts] & low) << shift) | np.arange(len(firsts))) & low  # by first position
    return values[firsts[order]], counts[order]


class _Identifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid has no type hints
    """py3langid's identifier whose byte walk runs in C or numpy (see the module docstring)."""

    __slots__ = ("_addresses", "_arrays", "_walk")

    def _raw_score(self, text: bytes) -> Any:
        features, counts = self.visits(text)
        if not len(features):  # no features: py3langid's own answer for that case
            return super()._raw_score(text)
        return np.log1p(counts.astype(np.float32)) @ self._rows(features) + self.nb_pc

    def visits(self, text: bytes) -> tuple[Any, Any]:
        """The features met over the bytes of `text` in order of first occurrence (as py3langid counts them, so
        the sum runs in the same order), and how often each was met: in C where compiled (`kernel`)."""
        walk = self._kernel()
        if walk is None:
            return self.visits_in_numpy(text)
        moves_at, rows_at, outputs_at, _weights_at = self._table_addresses()
        data = np.frombuffer(text, dtype=np.uint8)  # bytes, or any buffer of them (py3langid takes a bytearray)
        features = np.empty(len(data), dtype=np.int64)
        counts = np.empty(len(data), dtype=np.int64)
        # ctypes passes bytes by the address of their own buffer.
        text_at = text if isinstance(text, bytes) else _address(data)
        found = walk.lid_visits(text_at, len(data), moves_at, rows_at, outputs_at, _address(features), _address(counts))
        if found < 0:  # no memory for its scratch tables
            return self.visits_in_numpy(text)
        return features[:found], counts[:found]

    def _rows(self, features: Any) -> Any:
        """The weight rows of `features`, in their order."""
        weights = self._walk_arrays()[3]
        walk = self._kernel()
        if walk is None:
            return weights[features]
        features = np.ascontiguousarray(features, dtype=np.int64)
        rows = np.empty((len(features), weights.shape[1]), dtype=np.float32)
        walk.lid_rows(self._table_addresses()[3], weights.shape[1], _address(features), len(features), _address(rows))
        return rows

    def _table_addresses(self) -> tuple[int, int, int, int]:
        """Where the data of each of `_walk_arrays` is (read when they were made: they never move)."""
        self._walk_arrays()
        return self._addresses

    def _kernel(self) -> ctypes.CDLL | None:
        """`kernel()`, where the tables are laid out as `langid_walk.c` reads them (the model's are)."""
        if not hasattr(self, "_walk"):
            moves, rows, outputs, weights = self._walk_arrays()
            fits = (moves.dtype == np.uint32 and rows.dtype == outputs.dtype == np.int64
                    and weights.dtype == np.float32
                    and all(table.flags.c_contiguous for table in (moves, rows, outputs, weights)))
            self._walk = kernel() if fits else None
        return self._walk

    def visits_in_numpy(self, text: bytes) -> tuple[Any, Any]:
        """`visits` without the kernel."""
        moves, rows, outputs, _weights = self._walk_arrays()
        data = np.frombuffer(text, dtype=np.uint8)
        states = np.zeros(len(data), dtype=np.int64)
        for back in range(min(WINDOW, len(data)) - 1, -1, -1):  # each position walks the window ending there
            states[back:] = moves[rows[states[back:]] + data[: len(data) - back]]
        features = outputs[states]
        return _in_first_order(features[features >= 0])

    def _walk_arrays(self) -> tuple[Any, Any, Any, Any]:
        """The tables the walk reads, made once: the C is given their addresses (`_table_addresses`), so two
        threads that both made them would leave one reading a table the other dropped."""
        if not hasattr(self, "_arrays"):
            with _arrays_lock:
                if not hasattr(self, "_arrays"):
                    arrays = (
                        np.asarray(self.tk_nextmove),
                        np.asarray(self._rowbase, dtype=np.int64),
                        np.asarray(self.tk_output, dtype=np.int64),
                        np.asarray(self.nb_ptc, dtype=np.float32),
                    )
                    moves, rows, outputs, weights = (int(table.ctypes.data) for table in arrays)
                    self._addresses = moves, rows, outputs, weights
                    self._arrays = arrays  # last: where `_arrays` is, so are `_addresses`
        return self._arrays
