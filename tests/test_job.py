"""The options both executors send with each job: what `run_job` validates back, dumped once per options object."""

from __future__ import annotations

from toridaemon.executors.job import SentOptions
from toridaemon.pipeline import PipelineOptions


def test_options_are_dumped_once_per_options_object_and_read_back_equal() -> None:
    sent = SentOptions()
    options = PipelineOptions(max_concepts=7)
    first = sent(options)
    assert sent(options) is first  # the same snapshot's options: no second dump
    assert PipelineOptions.model_validate(first) == options
    reloaded = PipelineOptions(max_concepts=9)  # a reload makes a new object
    assert sent(reloaded) is not first and sent(reloaded)["max_concepts"] == 9
