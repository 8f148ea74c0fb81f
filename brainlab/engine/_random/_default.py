"""The default generator ``DEFAULT`` and the module-level functions bound to it (``be.random.normal`` ...).

As in numpy, the module-level functions are the bound methods of one shared generator: ``be.random.seed(0)``
makes every later ``be.random.*`` call reproducible.  Separate streams come from :class:`RandomState` objects.
"""

from __future__ import annotations

from ._generator import RandomState

__all__ = ["DEFAULT"]

#: The generator behind ``be.random.*``, seeded from OS entropy at import (call ``be.random.seed(s)``).
DEFAULT = RandomState(None)
DEFAULT._prefix = "be.random"
DEFAULT.key.name = "be.random.DEFAULT.key"
