"""Imported once by the local pool's forkserver (through `pool_preload`) and by each Dask worker: workers
start with a warm pipeline.

Without the warm-up each new worker (at start, and after a timeout kill) pays the imports and the concept
database load again: about a second per worker, measured on the shared corpus.
"""

from __future__ import annotations

import gc

from toridaemon.pipeline import analyze_text, conceptdb
from toridaemon.pipeline.language import language
from toridaemon.pipeline.language.lexicon import english_tags

_WARM_UP = "Warm-up text for the concept engine: graph neural networks and molecule property prediction."
analyze_text(_WARM_UP, language="en")  # English resources and the bundled database (about 2 s to build)
analyze_text(_WARM_UP)  # the language detector's model
# Text whose language cannot be told (a short or mixed page, a form) falls back to the function words of every
# tuned language: their word lists and lexicons (some 0.2 s to load) are loaded here once, not in each worker.
conceptdb.load((), language(None))
# Every language but English stops terms at English verbs of the English lexicon (`_english_boundaries`): its
# tags (some 80 ms and 25 MB to build) are built here once, not by each worker at its first other document.
english_tags()
# The warm state lives as long as the workers do: frozen, the collector never walks it again (a full collection
# over it took some 80 ms in a worker), and a forked worker's collections leave its pages shared with the
# forkserver instead of writing to every object in them.
gc.freeze()
