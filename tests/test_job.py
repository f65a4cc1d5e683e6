"""What `run_job` answers: the options both executors send with each job (validated back, dumped once per options
object), and a concept database the worker cannot read."""

from __future__ import annotations

from pathlib import Path

from tests.pdfgen import make_pdf
from toridaemon.executors.base import CONCEPT_DB_UNAVAILABLE
from toridaemon.executors.job import SentOptions, run_job
from toridaemon.pipeline import PipelineOptions


def test_options_are_dumped_once_per_options_object_and_read_back_equal() -> None:
    sent = SentOptions()
    options = PipelineOptions(max_concepts=7)
    first = sent(options)
    assert sent(options) is first  # the same snapshot's options: no second dump
    assert PipelineOptions.model_validate(first) == options
    reloaded = PipelineOptions(max_concepts=9)  # a reload makes a new object
    assert sent(reloaded) is not first and sent(reloaded)["max_concepts"] == 9


def test_a_concept_database_the_worker_cannot_read_is_answered_as_such_not_as_an_internal_error(
    tmp_path: Path,
) -> None:
    """The daemon retries a file for this reason (the operator's database, not the document, is at fault)."""
    broken = tmp_path / "concepts.json"
    broken.write_text('[{"name": "broken", "priority": 7}]')
    pdf = make_pdf(tmp_path / "doc.pdf", salt="job")
    options = PipelineOptions(concept_db_paths=(str(broken),)).model_dump()
    failure = run_job(str(pdf), options)["failure"]
    assert failure["reason"] == CONCEPT_DB_UNAVAILABLE
    assert str(broken) in failure["message"] and "priority" in failure["message"]
    # Checked before the document is read: a file held back for it is not parsed again at every retry.
    assert run_job(str(tmp_path / "never-read.pdf"), options)["failure"]["reason"] == CONCEPT_DB_UNAVAILABLE
    broken.write_text('["zorblax lattice"]')
    assert "result" in run_job(str(pdf), options)
