"""Figures in Jupyter without a network: BokehJS is loaded from the installed bokeh package.

Bokeh's ``output_notebook()`` fetches BokehJS from a CDN by default, so a notebook opened on a machine without
internet shows empty output cells.  :func:`setup_notebook` sends the JavaScript that ships inside the installed
``bokeh`` package instead (``bokeh.resources.INLINE``, about 1.3 MB), so figures and the bokeh-based widgets render
offline and always with the BokehJS that matches the Python side.  The widgets need it too: ``jupyter_bokeh``'s
JupyterLab extension does not bundle BokehJS, it uses the copy this function puts into the page.
"""

from __future__ import annotations

__all__ = ["setup_notebook"]


def _in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (a front end that can run BokehJS), False in scripts, doctests, terminals."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def setup_notebook(*, load_timeout: int = 5000) -> None:
    """Make ``bokeh.io.show`` draw figures in this notebook, with BokehJS loaded inline (works offline).

    Call it once at the top of a notebook, before the first figure or widget.  Inside a Jupyter kernel it
    configures bokeh's output for the notebook and sends the installed BokehJS to the page, without bokeh's
    banner.  Calling it again is safe and leaves the same state: each call sends BokehJS again, which is exactly
    what a page reloaded in the browser (the kernel still running) needs before its figures can draw.

    Outside a Jupyter kernel (a script, a terminal, a doctest) there is no page to load into: it changes nothing,
    so ``bokeh.io.show`` keeps its usual behaviour there (an HTML file in a browser).  It returns nothing, so the
    setup cell of a notebook shows no output line.

    Args:
        load_timeout: how long (ms) the page waits for BokehJS before giving up on a figure; the inline copy
            needs no download, so the default 5000 ms is ample.

    Example (outside a notebook, as here, bokeh's output state is left as it was):

    >>> import brainlab as bl
    >>> from bokeh.io.state import curstate
    >>> bl.plotting.setup_notebook()
    >>> curstate().notebook
    False
    """
    if not isinstance(load_timeout, int) or isinstance(load_timeout, bool) or load_timeout <= 0:
        raise ValueError(
            f"setup_notebook(load_timeout={load_timeout!r}): load_timeout is a time in milliseconds and must be a "
            "positive integer; leave it out to use 5000 ms."
        )
    if not _in_jupyter_kernel():
        return
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True, load_timeout=load_timeout)
