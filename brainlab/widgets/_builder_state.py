r"""The state of a :class:`~brainlab.widgets.NetworkBuilder`: a network description and its edit history.

The description is the plain data of ``net.to_dict()`` (format ``'brainlab.network'``, version 1; see
:mod:`brainlab._network_dict`): lists of ``populations`` (neurons and spike sources), ``inputs`` (projection-like
input modules: ``PoissonInput``, ``OUNoise``) and ``projections``, each entry named by its ``path``, plus the
``initial`` values of States and the child ``order``.  The builder never edits a description in place: each
edit makes a new one (:func:`put`, :func:`remove`), and :class:`History` keeps them, so undo and redo move
between descriptions.

Consistency kept by the edits:

- renaming a population renames it in the projections and inputs that use it, in ``initial`` and ``order``;
- deleting a population deletes the projections and inputs that use it;
- changing a population's size (or model) drops its ``initial`` values (and those of the projections and
  inputs onto it), which no longer fit; changing a projection's ends or synapse model drops its own.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["History", "KINDS", "empty", "items", "find", "put", "remove", "names"]

KINDS = {"population": "populations", "input": "inputs", "projection": "projections"}


def empty() -> dict[str, Any]:
    """The description of a network with nothing in it."""
    return {"format": "brainlab.network", "version": 1, "populations": [], "inputs": [], "projections": []}


def _normalised(desc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(desc)
    for key in KINDS.values():
        out.setdefault(key, [])
    return out


def items(desc: dict[str, Any]) -> list[tuple[str, str]]:
    """``[(kind, path), ...]``: populations, then inputs, then projections, in their order."""
    return [(kind, e["path"]) for kind, key in KINDS.items() for e in desc.get(key, [])]


def names(desc: dict[str, Any]) -> set[str]:
    """Every path in use."""
    return {path for _, path in items(desc)}


def find(desc: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    """``(kind, entry)`` of the item named ``path`` (a ``KeyError`` naming the items there are otherwise)."""
    for kind, key in KINDS.items():
        for e in desc.get(key, []):
            if e["path"] == path:
                return kind, e
    known = ", ".join(repr(p) for _, p in items(desc)) or "(none yet)"
    raise KeyError(f"NetworkBuilder: there is no population, input or projection named {path!r}; the network has "
                   f"{known}.")


def _users(desc: dict[str, Any], pop: str) -> list[str]:
    """The projections and inputs that use population ``pop``."""
    out = [e["path"] for e in desc["projections"] if pop in (e.get("pre"), e.get("post"))]
    out += [e["path"] for e in desc["inputs"] if e.get("post") == pop]
    return out


def _drop_initial(desc: dict[str, Any], path: str) -> None:
    initial = desc.get("initial")
    if initial:
        for key in [k for k in initial if k.startswith(f"{path}.")]:
            del initial[key]


def put(desc: dict[str, Any], kind: str, entry: dict[str, Any], replaces: str | None = None) -> dict[str, Any]:
    """A new description with ``entry`` added (``replaces=None``) or in place of the item ``replaces``."""
    if kind not in KINDS:
        raise ValueError(f"NetworkBuilder: kind must be one of {sorted(KINDS)}, got {kind!r}.")
    out = _normalised(desc)
    key = KINDS[kind]
    entry = copy.deepcopy(entry)
    new = entry["path"]
    if replaces is None:
        if new in names(out):
            raise ValueError(f"NetworkBuilder: the name {new!r} is taken; choose another name.")
        out[key].append(entry)
        if "order" in out:
            out["order"].append(new)
        return out
    old_kind, old = find(out, replaces)
    if old_kind != kind:
        raise ValueError(f"NetworkBuilder: {replaces!r} is a {old_kind}, not a {kind}.")
    if new != replaces and new in names(out):
        raise ValueError(f"NetworkBuilder: the name {new!r} is taken; choose another name.")
    if new != replaces and entry.get("name") == replaces.rsplit(".", 1)[-1]:
        entry["name"] = new.rsplit(".", 1)[-1]  # the module's own name follows its path
    index = next(i for i, e in enumerate(out[key]) if e["path"] == replaces)
    out[key][index] = entry
    if kind == "population":
        if entry.get("size") != old.get("size") or entry.get("model") != old.get("model"):
            for path in [replaces, *_users(out, replaces)]:
                _drop_initial(out, path)
    else:
        ends = ("pre", "post", "synapse") if kind == "projection" else ("post", "synapse", "model")
        if any(_model_of(entry.get(k)) != _model_of(old.get(k)) for k in ends):
            _drop_initial(out, replaces)
    if new != replaces:
        _rename(out, replaces, new)
    return out


def _model_of(value: Any) -> Any:
    return value.get("model") if isinstance(value, dict) else value


def _rename(desc: dict[str, Any], old: str, new: str) -> None:
    for e in desc["projections"]:
        for end in ("pre", "post"):
            if e.get(end) == old:
                e[end] = new
    for e in desc["inputs"]:
        if e.get("post") == old:
            e["post"] = new
    initial = desc.get("initial")
    if initial:
        for key in [k for k in initial if k.startswith(f"{old}.")]:
            initial[f"{new}.{key[len(old) + 1:]}"] = initial.pop(key)
    if "order" in desc:
        desc["order"] = [new if p == old else p for p in desc["order"]]


def remove(desc: dict[str, Any], path: str) -> dict[str, Any]:
    """A new description without the item ``path`` (a population goes with the projections and inputs using it)."""
    out = _normalised(desc)
    kind, _entry = find(out, path)
    gone = {path, *(_users(out, path) if kind == "population" else [])}
    for key in KINDS.values():
        out[key] = [e for e in out[key] if e["path"] not in gone]
    for p in gone:
        _drop_initial(out, p)
    if "order" in out:
        out["order"] = [p for p in out["order"] if p not in gone]
    return out


class History:
    r"""Descriptions one after the other, with a position: :meth:`push` a new one (the redo side is dropped),
    :meth:`undo` and :meth:`redo` move.

    Example:
        >>> h = History({"n": 0})
        >>> h.push({"n": 1}); h.push({"n": 2})
        >>> h.undo(), h.undo(), h.can_undo, h.redo()
        ({'n': 1}, {'n': 0}, False, {'n': 1})
        >>> h.push({"n": 5}); h.can_redo, h.current
        (False, {'n': 5})
    """

    def __init__(self, first: dict[str, Any], limit: int = 200):
        self._stack: list[dict[str, Any]] = [copy.deepcopy(first)]
        self._pos = 0
        self.limit = int(limit)

    @property
    def current(self) -> dict[str, Any]:
        """A copy of the description at the current position."""
        return copy.deepcopy(self._stack[self._pos])

    @property
    def peek(self) -> dict[str, Any]:
        """The description at the current position itself, for reading only (no copy: checks on every keystroke
        read it)."""
        return self._stack[self._pos]

    @property
    def can_undo(self) -> bool:
        return self._pos > 0

    @property
    def can_redo(self) -> bool:
        return self._pos < len(self._stack) - 1

    def push(self, desc: dict[str, Any]) -> None:
        """Make ``desc`` current; what could be redone is forgotten."""
        del self._stack[self._pos + 1:]
        self._stack.append(copy.deepcopy(desc))
        if len(self._stack) > self.limit:
            del self._stack[0]
        self._pos = len(self._stack) - 1

    def undo(self) -> dict[str, Any]:
        """Step back and return the description there (a ``RuntimeError`` at the first one)."""
        if not self.can_undo:
            raise RuntimeError("NetworkBuilder.undo: nothing to undo.")
        self._pos -= 1
        return self.current

    def redo(self) -> dict[str, Any]:
        """Step forward again (a ``RuntimeError`` when nothing was undone)."""
        if not self.can_redo:
            raise RuntimeError("NetworkBuilder.redo: nothing to redo.")
        self._pos += 1
        return self.current

    def __len__(self) -> int:
        return len(self._stack)
