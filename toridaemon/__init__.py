"""toridaemon: a watch-folder daemon that turns PDFs into JSON documents of their text and concepts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("toridaemon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
