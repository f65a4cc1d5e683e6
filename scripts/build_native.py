"""Compile the concept engine's hot modules with mypyc (see `toridaemon.pipeline.native`); `make` runs this.

Without mypy, a C compiler or the Python headers it says so and leaves the sources in use: no error."""

from __future__ import annotations

from toridaemon.pipeline import native

if __name__ == "__main__":
    print(f"toridaemon: {native.build()}")
