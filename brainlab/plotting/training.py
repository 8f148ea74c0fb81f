"""Bokeh figures of training runs: loss and accuracy per epoch (from :class:`brainlab.train.History` or plain
lists).

Nothing here imports ipywidgets or the training code: the figure reads the history's lists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh.models import LinearAxis, Range1d
from bokeh.plotting import figure

__all__ = ["history_figure"]


def _finite(values: Any) -> np.ndarray:
    return np.asarray([v for v in values], dtype=np.float64)


def history_figure(history: Any, title: str = "Training", log_loss: bool = False, **figure_kwargs: Any) -> figure:
    """Loss per epoch (training solid, validation dashed) on the left axis; accuracy on a right axis (0-1) when
    the history holds any.

    Args:
        history: a :class:`brainlab.train.History`, or anything with lists ``epoch`` and ``loss`` (and optionally
            ``val_loss``, ``accuracy``, ``val_accuracy``, ``best_epoch``).
        title: the figure title.
        log_loss: a logarithmic loss axis.
        **figure_kwargs: passed to ``bokeh.plotting.figure``.

    Example:
        >>> from types import SimpleNamespace
        >>> h = SimpleNamespace(epoch=[1, 2, 3], loss=[2.0, 1.2, 0.9], val_loss=[2.1, 1.4, 1.2],
        ...                     accuracy=[0.3, 0.6, 0.7], val_accuracy=[0.3, 0.5, 0.6], best_epoch=3)
        >>> p = history_figure(h)
        >>> [r.name for r in p.renderers]
        ['loss', 'val_loss', 'accuracy', 'val_accuracy', 'best_epoch']
    """
    epoch = _finite(getattr(history, "epoch", []))
    loss = _finite(getattr(history, "loss", []))
    if epoch.shape != loss.shape:
        raise ValueError(f"history_figure: epoch has {epoch.size} entries but loss has {loss.size}; pass a "
                         "History from BPTT.fit (or equal-length lists).")
    kw = dict(width=700, height=300, title=title, x_axis_label="epoch", y_axis_label="loss",
              y_axis_type="log" if log_loss else "linear")
    kw.update(figure_kwargs)
    p = figure(**kw)
    p.line(epoch, loss, line_width=2, color="#1f77b4", legend_label="training loss", name="loss")
    val = _finite(getattr(history, "val_loss", []))
    if val.size == epoch.size and val.size:
        p.line(epoch, val, line_width=2, line_dash="dashed", color="#1f77b4", legend_label="validation loss",
               name="val_loss")
    acc = _finite(getattr(history, "accuracy", []))
    vacc = _finite(getattr(history, "val_accuracy", []))
    has_acc = acc.size == epoch.size and acc.size and not np.all(np.isnan(acc))
    has_vacc = vacc.size == epoch.size and vacc.size and not np.all(np.isnan(vacc))
    if has_acc or has_vacc:
        p.extra_y_ranges = {"accuracy": Range1d(0.0, 1.0)}
        p.add_layout(LinearAxis(y_range_name="accuracy", axis_label="accuracy"), "right")
        if has_acc:
            p.line(epoch, acc, line_width=2, color="#d62728", y_range_name="accuracy",
                   legend_label="training accuracy", name="accuracy")
        if has_vacc:
            p.line(epoch, vacc, line_width=2, line_dash="dashed", color="#d62728", y_range_name="accuracy",
                   legend_label="validation accuracy", name="val_accuracy")
    best = getattr(history, "best_epoch", None)
    if best is not None and epoch.size and not (isinstance(best, float) and math.isnan(best)):
        i = int(np.argmin(np.abs(epoch - best)))
        y = val[i] if val.size == epoch.size and val.size else loss[i]
        p.scatter([epoch[i]], [y], size=9, marker="circle", color="black", legend_label="best epoch",
                  name="best_epoch")
    p.legend.location = "top_right"
    p.legend.click_policy = "hide"
    return p
