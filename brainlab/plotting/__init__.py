"""Static bokeh figures shared by analysis results and widgets.

Each module draws from plain data (numpy arrays and result dataclasses); nothing here imports
``brainlab.analysis`` or ipywidgets, so analysis results can call these functions and widgets can
reuse them inside live panels.
"""
