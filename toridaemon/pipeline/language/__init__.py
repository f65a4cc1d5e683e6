"""Languages: detection and the per-language resources the concept engine reads."""

from toridaemon.pipeline.language.detect import detect_language, other_languages
from toridaemon.pipeline.language.resources import TUNED, UNDETERMINED, Language, language, mixed

__all__ = ["TUNED", "UNDETERMINED", "Language", "detect_language", "language", "mixed", "other_languages"]
