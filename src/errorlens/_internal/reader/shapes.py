"""Old names of the reader, kept for callers written before the rules split.

The reader now lives in ``keys``, ``node``, ``body``, ``rules/`` and ``build``.
"""

from __future__ import annotations

from errorlens._internal.reader.build import strip_namespace
from errorlens._internal.reader.details import details_value as _details_value

__all__ = ["_details_value", "strip_namespace"]
