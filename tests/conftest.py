"""Shared test configuration: the hypothesis profiles.

Every run of ``make test`` must give the same verdict, so randomised tests draw the same examples every time:

``ci`` (the default)
    ``derandomize=True``: the examples follow from each test's own code, not from a random seed, so a fresh clone,
    a CI machine and a developer's checkout all test the same cases.  ``database=None``: examples that failed
    earlier on this machine (kept in ``.hypothesis/``) are not replayed, so a local history cannot change the
    verdict.  ``print_blob=True``: a failure prints ``@reproduce_failure(...)`` to paste above the test.

``explore`` (on purpose only)
    Random examples, ten times as many and different on every run, with failures kept in ``.hypothesis/`` and
    replayed first next time.  Use it to look for bugs, then turn what it finds into a fix or an ``@example``:
    ``make test HYPOTHESIS_PROFILE=explore``, or ``HYPOTHESIS_PROFILE=explore .venv/bin/pytest tests/test_array.py``.

The profile is chosen by the environment variable ``HYPOTHESIS_PROFILE`` (``--hypothesis-profile NAME`` on the
pytest command line overrides it).  Tests set only what is particular to them (never ``max_examples``), so a
profile decides how hard every test is searched.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, print_blob=True)  # deadlines are wall-clock limits: they differ with machine load

settings.register_profile("ci", max_examples=50, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "explore", max_examples=500, derandomize=False, suppress_health_check=[HealthCheck.too_slow], **_COMMON
)

PROFILES = ("ci", "explore")
_profile = os.environ.get("HYPOTHESIS_PROFILE", "").strip() or "ci"
if _profile not in PROFILES:
    raise pytest.UsageError(
        f"HYPOTHESIS_PROFILE={_profile!r} is not a hypothesis profile of brainlab's tests; choose one of "
        f"{', '.join(PROFILES)} (tests/conftest.py), or unset it for the deterministic default 'ci'."
    )
settings.load_profile(_profile)


def pytest_report_header(config: pytest.Config) -> str:
    return f"hypothesis profile: {settings.get_current_profile_name()} (HYPOTHESIS_PROFILE; see tests/conftest.py)"
