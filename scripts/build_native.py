"""Compile the concept engine's hot modules with mypyc (see `toridaemon.pipeline.native`); `make` runs this.

It compiles the package of its own checkout (whichever one the interpreter would import otherwise). Without mypy,
a C compiler or the Python headers it says so and leaves the sources in use: no error."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from toridaemon.pipeline import native

    print(f"toridaemon: {native.build()}")
