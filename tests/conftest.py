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

Random generators are seeded before every test from the test's own id (``be.random``, numpy's legacy global
generator and Python's ``random``), so a test that draws without seeding gets the same numbers whichever tests
ran before it, alone or in the whole suite.  ``BRAINLAB_TEST_SEED=N`` shifts every test's seed on purpose; the
``explore`` profile picks a new shift per run and prints it in the header.

brainlab's on-disk caches (compiled chunks, event and fused kernels) start empty in every session: unless
``BRAINLAB_CACHE_DIR`` is set, the session uses a new temporary directory, removed at the end.  A warm
``~/.cache/brainlab`` (possibly written by an older brainlab) then cannot change a verdict, while the load path
is still exercised whenever a later test compiles a program an earlier one cached.  Set ``BRAINLAB_CACHE_DIR``
to test against a given cache on purpose.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import zlib

import numpy as np
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

_seed_setting = os.environ.get("BRAINLAB_TEST_SEED", "").strip()
try:
    TEST_SEED = int(_seed_setting) if _seed_setting else (random.SystemRandom().randrange(2**32)
                                                          if _profile == "explore" else 0)
except ValueError:
    raise pytest.UsageError(f"BRAINLAB_TEST_SEED={_seed_setting!r} must be an integer (tests/conftest.py).") from None


def _seed_from(nodeid: str) -> None:
    import brainlab.engine as be

    seed = (zlib.crc32(nodeid.encode()) + TEST_SEED) % 2**32
    be.random.seed(seed)
    np.random.seed(seed)
    random.seed(seed)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    """A module- or session-scoped fixture is built before the first test that asks for it is seeded, and after
    whatever tests ran before: it gets its own seed (its name and where it is shared), whichever test asks first."""
    if fixturedef.scope != "function":
        _seed_from(f"{request.node.nodeid}::{fixturedef.argname}")
    return (yield)


@pytest.fixture(autouse=True)
def _seed_random_generators(request: pytest.FixtureRequest) -> None:
    """Seed be.random, numpy's global generator and ``random`` from the test id (and BRAINLAB_TEST_SEED)."""
    _seed_from(request.node.nodeid)


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """conftest.py files are plugins, not test modules: ``--doctest-modules`` would import each again as a module
    named ``conftest``, and two of them (here and in tests/browser) collide.  They are still loaded as conftests."""
    return True if collection_path.name == "conftest.py" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last.  Playwright's sync API keeps an asyncio loop running in the main thread for as long
    as its (session-scoped) browser lives, so any test after the first browser test would find a running loop:
    ``asyncio.run`` refuses to start, and the panels schedule their work on that loop instead of running it.  The
    browser fixtures are set up at the first browser test and torn down at the session's end, after everything
    else has run, so no other test's verdict depends on whether the browser tests were selected."""
    def in_browser(item: pytest.Item) -> bool:
        return item.get_closest_marker("browser") is not None or "browser" in item.path.parent.parts[-1:]

    items.sort(key=in_browser)  # a stable sort: the order is kept otherwise


_SESSION_CACHE: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _SESSION_CACHE
    if "BRAINLAB_CACHE_DIR" not in os.environ:
        _SESSION_CACHE = tempfile.mkdtemp(prefix="brainlab-test-cache-")
        os.environ["BRAINLAB_CACHE_DIR"] = _SESSION_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_CACHE is not None:
        os.environ.pop("BRAINLAB_CACHE_DIR", None)
        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"hypothesis profile: {settings.get_current_profile_name()} (HYPOTHESIS_PROFILE; see tests/conftest.py)",
        f"random generators seeded per test from its id; BRAINLAB_TEST_SEED={TEST_SEED}",
        f"brainlab cache: {os.environ.get('BRAINLAB_CACHE_DIR')}"
        + (" (new for this session)" if _SESSION_CACHE else " (BRAINLAB_CACHE_DIR)"),
    ]
