"""Concept database: loading, errors, boundaries, aliases."""

from __future__ import annotations

import gzip
import json
import os
from functools import partial
from pathlib import Path

import pytest

from tests.texts import CHINESE, KOREAN
from toridaemon.pipeline import PipelineOptions, analyze_text, conceptdb, scoring
from toridaemon.pipeline.candidates import ENGLISH, extract, lower_aligned
from toridaemon.pipeline.conceptdb import ConceptDB, ConceptDBError, ConceptEntry
from toridaemon.pipeline.language import language
from toridaemon.pipeline.sections import Span


def hits(db: ConceptDB, text: str) -> dict[str, int]:
    return {key: sum(hit.counts.values()) for key, hit in db.match([Span("body", 1, text)]).items()}


def test_names_match_on_word_boundaries_only() -> None:
    db = ConceptDB([ConceptEntry("Ethan"), ConceptEntry("graph neural network")])
    assert hits(db, "Methane and ethane burn; Ethan's stove.") == {"ethan": 1}
    assert hits(db, "methane ethanol bethany") == {}
    assert hits(db, "Graph neural networks and a graph\nneural network.") == {"graph neural network": 2}


def test_names_inside_tex_commands_or_identifiers_are_no_match() -> None:
    """A backslash counted as a word boundary: "\\section" gave the database concept "section"."""
    db = ConceptDB([ConceptEntry("section"), ConceptEntry("map"), ConceptEntry("value")])
    assert hits(db, "Use \\section and \\subsection; \\seq_map_inline:Nn; max_value and value_max.") == {}
    assert hits(db, "Each section maps a value (\\ref{value}) onto the map.") == {"section": 1, "value": 2, "map": 2}
    assert "section" not in [c.name for c in analyze_text("Use \\section here and \\section there. " * 4).concepts]


def test_names_inside_addresses_are_no_match() -> None:
    """A URL's path or an e-mail address named database concepts: "zenodo.org/records/1" gave "record"."""
    db = ConceptDB([ConceptEntry("record"), ConceptEntry("nature")])
    text = "See https://zenodo.org/records/1, zenodo.org/records/2 and records@nature.com; a record of nature."
    assert hits(db, text) == {"record": 1, "nature": 1}


def test_aliases_map_to_the_canonical_name(tmp_path: Path) -> None:
    path = tmp_path / "extra.json"
    entry = {"name": "graph neural network", "aliases": ["GNN", "graph network"], "category": "Computer Science"}
    path.write_text(json.dumps({"concepts": [entry]}))
    text = "Graph Neural Networks for molecules\nA GNN passes messages. Each GNN layer aggregates; GNNs scale."
    result = analyze_text(text, settings=PipelineOptions(concept_db_paths=(str(path),)))
    found = [c for c in result.concepts if c.name == "graph neural network"]
    assert len(found) == 1
    concept = found[0]
    assert concept.source == "database" and concept.category == "Computer Science"
    assert concept.frequency >= 4
    assert not any(c.name.lower() in ("gnn", "gnns") for c in result.concepts)
    assert "GNN" in concept.context or "Graph Neural Networks" in concept.context


def test_a_concept_found_by_an_alias_with_inner_function_words_or_punctuation_is_named_as_written(
    tmp_path: Path,
) -> None:
    """The locator looked for the alias's key ("capital belgium", "mt everest"), which the text does not hold as
    such, and the concept was named by the database's name, which the text does not hold at all."""
    path = tmp_path / "places.json"
    path.write_text(json.dumps([{"name": "Brussels", "aliases": ["capital of Belgium"]},
                                {"name": "Mount Everest", "aliases": ["Mt. Everest"]}]))
    text = ("Travel notes\nClimbers reached Mt. Everest in May. Mt. Everest is the highest mountain.\n"
            "The capital of Belgium hosts many institutions. The capital of Belgium is busy.")
    result = analyze_text(text, settings=PipelineOptions(concept_db_paths=(str(path),)))
    named = {c.name.lower(): c for c in result.concepts if c.source == "database"}
    assert {"mt. everest", "capital of belgium"} <= set(named), named
    assert named["capital of belgium"].context.startswith("The capital of Belgium hosts")
    assert named["mt. everest"].context == "Climbers reached Mt. Everest in May."


@pytest.mark.parametrize("text", [
    "Climbers reached Mt. Everest in May. Mt. Everest is the highest mountain on Earth.",
    "The judge issued a cease and desist order. The cease and desist order was ignored.",
    "Patients reported Saint Ignatius' itch after the trip. Saint Ignatius' itch is a form of pellagra.",
])
def test_bundled_concepts_found_by_aliases_are_named_by_words_the_text_holds(text: str) -> None:
    concepts = analyze_text(text, language="en").concepts
    assert concepts and all(c.name.lower() in text.lower() and c.context for c in concepts), concepts


def test_yaml_files_and_bare_names(tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(
        "- name: belief propagation\n  aliases: [sum-product algorithm]\n  priority: 0.5\n- Kalman filter\n"
    )
    db = conceptdb.load((str(path),))
    assert hits(db, "The sum-product algorithm and a Kalman filter.") == {
        "belief propagation": 1, "kalman filter": 1,
    }


def test_missing_and_invalid_files_name_every_path_tried(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "priority": 7}]))
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ConceptDBError) as caught:
        conceptdb.load((str(bad), str(missing)))
    message = str(caught.value)
    for path in (conceptdb.BUNDLED, bad, missing):
        assert str(path) in message
    assert set(caught.value.problems) == {str(bad), str(missing)}
    assert "priority" in caught.value.problems[str(bad)]


def test_not_a_list_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"name": "lonely"}')
    with pytest.raises(ConceptDBError, match="expected a list"):
        conceptdb.load((str(path),))


def test_databases_load_once_per_process(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('["quantum annealing"]')
    assert conceptdb.load((str(path),)) is conceptdb.load((str(path),))
    assert conceptdb.load() is conceptdb.load(())


def test_bundled_database_knows_common_compounds() -> None:
    db = conceptdb.load()
    assert db.size > 10_000
    found = db.match([Span("abstract", 1, "We train a neural network on an operating system trace.")])
    assert {"neural network", "operating system"} <= set(found)
    assert all(hit.entry.category for hit in found.values())


def test_a_name_on_a_common_word_is_matched_as_written() -> None:
    """Lowercase matching found WordNet's "AND circuit" in "genes and circuits"."""
    db = ConceptDB([ConceptEntry("AND circuit"), ConceptEntry("A battery"), ConceptEntry("Bay of Plenty")])
    assert hits(db, "Cells with good genes and circuits survive; a battery of tests.") == {}
    assert hits(db, "An AND circuit and A battery; the Bay of Plenty, the bay of plenty.") == {
        "and circuit": 1, "a battery": 1, "bay plenty": 2,
    }


def test_a_name_beyond_a_term_of_the_text_counts_only_itself() -> None:
    """ "first quarter" was keyed as "quarter": it took the text's "second quarter" for itself (frequency 2, and
    that sentence as its context), and "table of contents" was looked for as "table content" (no context)."""
    path_text = ("The Suns led in the second quarter. Phoenix scored 30 points in the first quarter. Teachers in New "
                 "Jersey protested; New Jersey officials agreed, unlike North Jersey. Check the table of contents.")
    found = {c.name: c for c in analyze_text(path_text).concepts}
    assert found["first quarter"].frequency == 1 and "first quarter" in found["first quarter"].context
    assert found["New Jersey"].frequency == 2 and "New Jersey" in found["New Jersey"].context
    assert "table of contents" in found["table of contents"].context


def test_a_name_whose_first_word_bounds_terms_takes_over_the_term_it_always_holds() -> None:
    """ "New Zealand": every "Zealand" of the text is in it, so no "Zealand" is left beside it."""
    text = ("New Zealand farms export milk. New Zealand dairy prices rose. Farmers in New Zealand plant clover. "
            "Dairy prices in New Zealand fell again.")
    names = [c.name for c in analyze_text(text).concepts]
    assert "New Zealand" in names and not any(name.lower() == "zealand" for name in names)


def test_a_turkish_capital_keeps_the_written_case_check_of_its_span() -> None:
    """ "İ" lowercases to two characters: the offsets no longer matched and no cased name was found there."""
    db = ConceptDB([ConceptEntry("The Hague"), ConceptEntry("a cappella singing")])
    assert hits(db, "Talks in The Hague went on, near İzmir. A cappella singing followed.") == {
        "the hague": 1, "a cappella singing": 1,
    }


def test_a_final_capital_sigma_is_read_as_final_beside_a_turkish_capital() -> None:
    """With "İ" in the text it was lowercased letter by letter, and a word-final "Σ" became "σ", not the "ς" of
    the name's key: "ΟΔΟΣ" was no "οδος"."""
    db = ConceptDB([ConceptEntry("Οδος Ερμου")])
    assert hits(db, "Η ΟΔΟΣ ΕΡΜΟΥ στην Αθήνα, όχι στην İzmir.") == {"οδος ερμου": 1}
    assert lower_aligned("ΟΔΟΣ İ Σ") == "οδος i σ"


def test_a_name_holding_a_turkish_capital_is_found() -> None:
    """A name's surface was lowercased with "İ" as two characters ("i" and a combining dot), the text with it as
    one ("i"): "İzmir Körfezi" was never found."""
    db = ConceptDB([ConceptEntry("İzmir Körfezi", aliases=("Gulf of İzmir",))])
    assert hits(db, "Ships in İzmir Körfezi and the Gulf of İZMİR.") == {"i\u0307zmir körfezi": 2}


def test_names_take_from_shorter_terms_once_and_in_any_order() -> None:
    """Two surfaces with one inner term subtracted twice; a term another name had taken was left whole."""
    entries = [ConceptEntry("first lieutenant", aliases=("1st lieutenant",)), ConceptEntry("lieutenant")]
    sentences = ["The first lieutenant left.", "A 1st lieutenant came.", "The lieutenant was late.",
                 "Every lieutenant counts.", "The first quarter ended."]
    for order in (sentences, sentences[::-1]):
        text = " ".join(order)
        table = extract([Span("body", 1, text)])
        database = ConceptDB([*entries, ConceptEntry("first quarter"), ConceptEntry("quarter")])
        merged = scoring._merge(table, database.match([Span("body", 1, text)]), ENGLISH)
        assert merged["first lieutenant"][0] == {"body": 2} and merged["lieutenant"][0] == {"body": 2}, order
        assert merged["first quarter"][0] == {"body": 1} and "quarter" not in merged, order


def test_a_database_file_changed_in_its_ctime_only_is_read_again(tmp_path: Path) -> None:
    """A version that failed was known by inode, size and mtime: a `chmod` that made it readable, or an edit of
    the same size with its mtime put back, left the failure cached, and every document failed on it."""
    path = tmp_path / "mine.json"
    path.write_text('["zorblax lattice"}')
    mtime = path.stat().st_mtime_ns
    with pytest.raises(ConceptDBError):
        conceptdb.load((str(path),))
    path.write_text('["zorblax lattice"]')  # the same size, in place: the same inode
    os.utime(path, ns=(path.stat().st_atime_ns, mtime))
    assert conceptdb.load((str(path),), language("de")).size == 1


def test_the_bundled_database_names_no_person() -> None:
    """WordNet's named people came through as concepts, past the rule that keeps names out of candidates."""
    db = conceptdb.load()
    text = "Isaac Newton and Albert Einstein changed physics, as did Niels Bohr, Max Planck and Marie Curie."
    found = db.match([Span("body", 1, text)])
    assert not {"newton", "einstein", "bohr", "planck", "curie"} & {w for key in found for w in key.split()}


def test_an_edited_database_file_reaches_a_long_lived_worker(tmp_path: Path) -> None:
    """A worker process runs many documents; the concept file edited between two of them counts."""
    path = tmp_path / "mine.json"
    path.write_text('["zorblax lattice"]')
    options = PipelineOptions(concept_db_paths=(str(path),))
    text = "The zorblax lattice and the quintic manifold. A zorblax lattice meets a quintic manifold again."
    first = {c.name: c.source for c in analyze_text(text, settings=options).concepts}
    assert first.get("zorblax lattice") == "database" and first.get("quintic manifold") != "database"
    path.write_text('["quintic manifold"]')
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = {c.name: c.source for c in analyze_text(text, settings=options).concepts}
    assert second.get("quintic manifold") == "database", "the worker kept the old database"
    path.write_text('[{"name": "broken", "priority": 7}]')  # a bad edit: the last good version stays
    third = {c.name: c.source for c in analyze_text(text, settings=options).concepts}
    assert third.get("quintic manifold") == "database"


def test_a_bad_edit_is_read_once_and_its_last_good_version_serves_every_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker re-read a bad version for every document, and a language it had not built yet failed on it."""
    path = tmp_path / "mine.json"
    path.write_text('["zorblax lattice"]')
    options = PipelineOptions(concept_db_paths=(str(path),))
    english = "The zorblax lattice and the quintic manifold. A zorblax lattice meets a quintic manifold again."
    german = "Das Zorblax-Gitter und die Mannigfaltigkeit. Ein zorblax lattice trifft wieder eine Mannigfaltigkeit."
    assert {c.name: c.source for c in analyze_text(english, settings=options).concepts}["zorblax lattice"] == "database"
    path.write_text('[{"name": "broken", "priority": 7}]')
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    reads: list[Path] = []
    real_read = conceptdb._read

    def counted_read(read: Path) -> conceptdb.DatabaseFile:
        reads.append(read)
        return real_read(read)

    monkeypatch.setattr(conceptdb, "_read", counted_read)
    for text, code in ((english, None), (english, None), (german, "de")):
        found = analyze_text(text, settings=options, language=code).concepts
        assert any(c.source == "database" and c.name.lower() == "zorblax lattice" for c in found), code
    assert reads == [path]


@pytest.mark.parametrize(("name", "data", "concepts"), [
    ("bom.json", b'\xef\xbb\xbf["graph networks"]', 1),
    ("bom.jsonl", b'\xef\xbb\xbf"graph networks"\n"belief propagation"\n', 2),
    ("bom.yaml", b"\xef\xbb\xbf- graph networks\n", 1),
    # JSON strings may hold U+2028 raw; str.splitlines broke the line there.
    ("separator.jsonl", '{"name": "graph networks", "category": "a\u2028b"}\n"belief propagation"\n'.encode(), 2),
], ids=["json-bom", "jsonl-bom", "yaml-bom", "jsonl-line-separator"])
def test_files_as_editors_write_them_load(tmp_path: Path, name: str, data: bytes, concepts: int) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    conceptdb.check_files((str(path),))
    assert conceptdb.load((str(path),), language("de")).size == concepts


def test_a_json_lines_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('"graph networks"\n\n{"name": "belief propagation",}\n')
    with pytest.raises(ConceptDBError, match="line 3, column 31: Expecting property name"):
        conceptdb.check_files((str(path),))


def test_more_names_than_a_worker_builds_are_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conceptdb, "MAX_NAMES", 8)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps([{"name": f"term {i}", "aliases": [f"alias {i}"]} for i in range(3)]))
    second.write_text(json.dumps(["graph networks", "belief propagation", "kalman filter"]))
    conceptdb.check_files((str(first),))
    with pytest.raises(ConceptDBError, match="9 names and aliases in all; at most 8") as caught:
        conceptdb.check_files((str(first), str(second)))
    assert set(caught.value.problems) == {str(first), str(second)}
    with pytest.raises(ConceptDBError, match="at most 8"):
        conceptdb.load((str(first), str(second)), language("de"))


def test_more_characters_than_a_worker_matches_are_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher's memory follows the characters of the names, not their number: 600,000 long names (under the
    name cap) did not fit a worker, and every document failed."""
    monkeypatch.setattr(conceptdb, "MAX_CHARACTERS", 60)
    path = tmp_path / "long.json"
    path.write_text(json.dumps([f"a rather long concept name {i}" for i in range(3)]))  # 3 × 28 characters
    with pytest.raises(ConceptDBError, match="84 characters of names and aliases in all; at most 60"):
        conceptdb.check_files((str(path),))
    with pytest.raises(ConceptDBError, match="at most 60"):
        conceptdb.load((str(path),), language("en"))


@pytest.mark.parametrize(("bound", "room"), [("MAX_NAMES", 7), ("MAX_CHARACTERS", 100)], ids=["names", "characters"])
def test_built_databases_beyond_the_name_budget_go_least_recently_used_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str, room: int
) -> None:
    """A file without a language is built for each language met; a big one would fill a worker's memory."""
    path = tmp_path / "any.json"
    path.write_text(json.dumps(["graph networks", "belief propagation", "kalman filter"]))  # 45 characters
    monkeypatch.setattr(conceptdb, "_built", {})
    monkeypatch.setattr(conceptdb, bound, room)  # room for two of these three-name databases
    load = partial(conceptdb.load, (str(path),))
    german, french = load(language("de")), load(language("fr"))
    assert load(language("de")) is german  # used again: now French is the least recent
    dutch = load(language("nl"))
    assert load(language("de")) is german and load(language("nl")) is dutch
    assert load(language("fr")) is not french


def test_a_database_replaced_by_a_fifo_keeps_the_last_good_one_without_blocking(tmp_path: Path) -> None:
    """Reading a FIFO nobody writes to blocked the worker until the file's timeout, for every file."""
    path = tmp_path / "mine.json"
    path.write_text('["zorblax lattice"]')
    options = PipelineOptions(concept_db_paths=(str(path),))
    text = "The zorblax lattice and the quintic manifold. A zorblax lattice meets a quintic manifold again."
    assert {c.name: c.source for c in analyze_text(text, settings=options).concepts}["zorblax lattice"] == "database"
    path.unlink()
    os.mkfifo(path)
    kept = {c.name: c.source for c in analyze_text(text, settings=options).concepts}
    assert kept["zorblax lattice"] == "database"
    with pytest.raises(ConceptDBError, match="not a regular file"):
        conceptdb.check_files((str(path),))


_GZIP = gzip.compress(b'["a b"]', mtime=0)  # the same bytes, and so the same test id, in every process


@pytest.mark.parametrize(("name", "data", "says"), [
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("bomb.jsonl.gz", gzip.compress(b" " * (conceptdb.MAX_DATABASE_BYTES + 1)), "unpacks to more than"),
    # A gzip body that does not inflate: zlib's error is no OSError, and it ended `check-config` in a traceback.
    ("corrupt.jsonl.gz", _GZIP[:10] + b"\xff" * 30 + _GZIP[-8:], "error"),
    # Anchors repeat one 2,000-alias list for 2,000 entries: 4 million aliases to normalise from 25 KB.
    ("anchors.yaml", ("x: &al [" + ", ".join(f"alias{i} term" for i in range(2000)) + "]\nconcepts:\n"
                      "- &e {name: base concept, aliases: *al}\n" + "- *e\n" * 2000).encode(), "YAML aliases"),
    # One 20 KB string named 200 times: 4 MB of names to normalise (and, stripped, to copy) from 20 KB.
    ("string-anchors.yaml", ("concepts:\n- name: &s " + "molecular graph " * 1250 + "x\n"
                             + "- name: *s\n" * 200).encode(), "characters of names and aliases from"),
    ("long-name.json", json.dumps([{"name": "graph " * 300}]).encode(), "a name or alias of 1800 characters"),
    # A lone surrogate (escaped in JSON) cannot be written out as UTF-8: `concepts` died printing its result.
    ("surrogate.json", b'[{"name": "gradient descent", "category": "c\\udc00"}]', "lone surrogate"),
    # Not ASCII: "İs" lowercases to three characters, and the file was silently applied to no language.
    ("language.json", b'{"language": "\\u0130s", "concepts": ["graph networks"]}', "two-letter"),
], ids=["deep", "bomb", "corrupt-gzip", "yaml-anchors", "string-anchors", "long-name", "surrogate", "language"])
def test_hostile_database_files_are_errors_naming_the_file(tmp_path: Path, name: str, data: bytes,
                                                           says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ConceptDBError, match=says) as caught:
        conceptdb.check_files((str(path),))
    assert str(path) in str(caught.value)


def test_a_symlink_loop_at_a_database_path_is_named_a_loop(tmp_path: Path) -> None:
    """Followed symlinks (a database may be one) that loop were reported as "not a regular file (symlink)"."""
    loop = tmp_path / "loop.json"
    loop.symlink_to(tmp_path / "back.json")
    (tmp_path / "back.json").symlink_to(loop)
    with pytest.raises(ConceptDBError, match="Too many levels of symbolic links"):
        conceptdb.check_files((str(loop),))


def test_a_device_at_a_database_path_is_refused_unread() -> None:
    with pytest.raises(ConceptDBError, match="not a regular file"):
        conceptdb.check_files(("/dev/zero",))


@pytest.mark.parametrize(("code", "text", "name", "frequency"), [
    ("zh", CHINESE, "深度学习", 1),  # Chinese characters on both sides: no space bounds it
    ("ko", KOREAN, "신경망", 3),  # "신경망을": the name ends where the particle starts
])
def test_a_database_name_is_found_where_no_space_ends_it(tmp_path: Path, code: str, text: str, name: str,
                                                          frequency: int) -> None:
    path = tmp_path / f"{code}.json"
    path.write_text(json.dumps({"language": code, "concepts": [{"name": name, "category": "method"}]}),
                    encoding="utf-8")
    found = analyze_text(text, settings=PipelineOptions(concept_db_paths=(str(path),))).concepts
    (concept,) = [c for c in found if c.source == "database"]
    assert (concept.name, concept.category, concept.frequency) == (name, "method", frequency)
