"""Static bokeh figures shared by analysis results and widgets.

Each module draws from plain data (numpy arrays and result dataclasses); nothing here imports
``brainlab.analysis`` or ipywidgets, so analysis results can call these functions and widgets can
reuse them inside live panels.

In a notebook, call :func:`setup_notebook` once before the first figure: it loads BokehJS from the installed
bokeh package, so figures render without a network.
"""

from .notebook import setup_notebook

__all__ = ["setup_notebook"]
