r"""Backpressure for a :class:`~brainlab.widgets.LiveRun`: frames go to the page only as fast as it draws them.

The kernel can stream frames to the bokeh sources faster than a page (BokehJS, software rendering) applies and
draws them; the patches then queue up in the page, which shows a raster lagging seconds to minutes behind the run
and sliders that seem to act late.  The page sends back every stream it has applied (``jupyter_bokeh``'s view
echoes each ``ColumnsStreamed`` event; see :func:`brainlab.widgets._panel._bokeh_model_class`): an echo is the
acknowledgement that the page holds that frame.

:class:`FrameGate` counts them.  Each frame pushed is remembered by what it streamed: ``(source id, newest t)``
for each source (``t`` grows from frame to frame in every source, so it names the frame).  An echo carrying that
pair acknowledges the frame, and every frame before it (the page applies patches in order).  Once the page has
acknowledged anything (it is alive), a new frame may go only while fewer than ``max_unacked`` frames wait for
their echo; the data meanwhile stays with the :class:`~brainlab.widgets._live_view.LiveView` and goes in the next
frame (nothing is lost; windows keep the newest data).  If no echo comes for ``ack_timeout`` s (the tab was
closed or reloaded, or the kernel is busy in ``run_for`` and cannot read the echoes) one frame goes anyway, and
one more every ``ack_timeout`` s, so that a new page catches up.  Before any echo (no page: scripts, tests,
nbclient runs) every frame goes, as without a gate.

The wait is not shortened for a page that echoed fast so far: a page's first frames are small and quick, the
later ones (a full raster window) take it a second or more, and a timeout scaled on the first echoes pushed
frames faster than the page drew them (seconds of lag again, measured in ``benchmarks/widgets.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

__all__ = ["FrameGate"]


class FrameGate:
    r"""Counts the frames pushed to a page and those it acknowledged, and says when the next may go.

    Args:
        max_unacked: at most this many pushed frames may wait for the page's echo (``>= 1``).
        ack_timeout: seconds without an echo after which a frame goes anyway.
        clock: the time source (s), ``time.perf_counter`` by default.

    Example:
        >>> from brainlab.widgets._live_gate import FrameGate
        >>> gate = FrameGate(max_unacked=1, clock=lambda: 0.0)  # a clock that stands still
        >>> gate.open()                      # no page has answered yet: frames are not held back
        True
        >>> gate.pushed_frame([("src", 10.0)]); gate.pushed_frame([("src", 20.0)])
        >>> gate.acknowledge("src", 10.0)    # the page applied the first frame
        >>> gate.frames_pushed, gate.frames_acked, gate.open()
        (2, 1, False)
        >>> gate.acknowledge("src", 20.0)
        >>> gate.open()
        True
    """

    def __init__(self, max_unacked: int = 2, ack_timeout: float = 2.0,
                 clock: Callable[[], float] = time.perf_counter):
        if int(max_unacked) < 1:
            raise ValueError(f"FrameGate: max_unacked must be at least 1 (frames in flight), got {max_unacked!r}.")
        self.max_unacked = int(max_unacked)
        self.ack_timeout = float(ack_timeout)
        self.clock = clock
        self.frames_pushed = 0
        self.frames_acked = 0  # every frame up to this number is known to be in the page
        self.echoes = 0  # stream echoes received (all, matched or not)
        self._pending: dict[tuple[str, float], int] = {}  # (source id, newest t) -> frame number
        self._last_ack: float | None = None
        self._last_push = -float("inf")

    @property
    def alive(self) -> bool:
        """Whether a page has acknowledged a frame (only then are frames held back)."""
        return self._last_ack is not None

    @property
    def unacked(self) -> int:
        """Pushed frames whose echo has not come yet (frames that streamed nothing need none)."""
        return len({f for f in self._pending.values() if f > self.frames_acked})

    def open(self) -> bool:
        """Whether a frame may be pushed now."""
        if self._last_ack is None or self.unacked < self.max_unacked:
            return True
        return self.clock() - max(self._last_ack, self._last_push) >= self.ack_timeout

    def pushed_frame(self, streams: Iterable[tuple[str, float]]) -> None:
        """Record a frame that streamed ``(source id, newest t)`` for each of its sources."""
        self.frames_pushed += 1
        self._last_push = self.clock()
        for key in streams:
            self._pending[(key[0], float(key[1]))] = self.frames_pushed

    def acknowledge(self, source_id: str, newest_t: float) -> None:
        """The page applied a stream into ``source_id`` whose newest row has time ``newest_t``."""
        self.echoes += 1
        frame = self._pending.get((source_id, float(newest_t)))
        self._last_ack = self.clock()
        if frame is None or frame <= self.frames_acked:
            return
        self.frames_acked = frame
        self._pending = {k: f for k, f in self._pending.items() if f > frame}

    def forget(self) -> None:
        """Drop the frames still waiting (the windows were cleared: their echoes no longer matter)."""
        self._pending.clear()
        self.frames_acked = self.frames_pushed
