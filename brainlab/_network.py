"""``Network``: populations and projections composed into one model, nested networks included."""

from __future__ import annotations

from typing import Any, Iterator

import jax.numpy as jnp

from .engine import Module

__all__ = ["Network", "is_population", "is_projection"]


def is_projection(obj: Any) -> bool:
    """A projection (or an input acting like one) exposes ``post`` and ``update(t, dt) -> current``."""
    return isinstance(obj, Module) and getattr(obj, "IS_PROJECTION", False)


def is_population(obj: Any) -> bool:
    """A population exposes ``size`` and ``update(t, dt, I)`` (neurons, spike sources)."""
    return (
        isinstance(obj, Module)
        and not isinstance(obj, Network)
        and not is_projection(obj)
        and hasattr(obj, "size")
        and callable(getattr(obj, "update", None))
    )


def _propagate_together(projections: list) -> dict[int, Any]:
    """The event propagation of projections that share a presynaptic population, one kernel call per population
    (the spikes are scanned once): ``{id(projection): summed weighted spikes}`` for those projections."""
    groups: dict[Any, list] = {}
    for proj in projections:
        plan = getattr(proj, "_event_plan", None)
        plan = plan() if plan is not None else None
        if plan is not None:
            groups.setdefault(plan[0], []).append((proj, plan))
    out: dict[int, Any] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        from .engine._event._csr import event_csr_matvec_multi

        xs = event_csr_matvec_multi(members[0][1][1], [plan[2] for _, plan in members], backend="numba")
        for (proj, _), x in zip(members, xs):
            out[id(proj)] = x
    return out


class Network(Module):
    """Populations and projections updated together, one time step at a time.

    Each step, every projection first turns the spikes its presynaptic population emitted on the previous step
    into a current onto its postsynaptic population (conductance-based outputs read the postsynaptic voltage
    before it is updated); then every population integrates one step with the sum of its synaptic currents and
    its external input.  Children may be other Networks: the update always runs over all populations and
    projections, however deeply nested.

    Args:
        *children: populations, projections or networks; named after their ``name`` attribute or class.
        **named: the same, with explicit names (used in monitor paths like ``'E.V'``).

    Example:
        >>> import brainlab as bl
        >>> E = bl.neurons.LIF(40); I = bl.neurons.LIF(10)
        >>> net = bl.Network(
        ...     E=E, I=I,
        ...     EI=bl.Projection(E, I, bl.conn.FixedProb(0.2, seed=0), bl.synapses.Expon(tau=5.),
        ...                      bl.outputs.COBA(E=0.), weight=0.6),
        ...     IE=bl.Projection(I, E, bl.conn.FixedProb(0.2, seed=1), bl.synapses.Expon(tau=10.),
        ...                      bl.outputs.COBA(E=-80.), weight=6.7))
        >>> print(net.summary())
        populations:
          E                LIF                n=40
          I                LIF                n=10
        projections:
          EI               E -> I  Expon(tau=5 ms) -> COBA(E=0 mV), w=0.6, FixedProb(...)  synapses=72
          IE               I -> E  Expon(tau=10 ms) -> COBA(E=-80 mV), w=6.7, FixedProb(...)  synapses=83
        total: 50 neurons, 155 synapses, 28 States
    """

    def __init__(self, *children: Any, **named: Any):
        ordered: dict[str, Any] = {}
        for child in children:
            base = getattr(child, "name", None) or type(child).__name__
            name, k = base, 1
            while name in ordered or name in named:
                k += 1
                name = f"{base}{k}"
            ordered[name] = child
        ordered.update(named)
        for name, child in ordered.items():
            self.add(name, child)

    def add(self, name: str, obj: Any) -> Any:
        """Add a population, projection or network under ``name`` and return it."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Network.add: name must be a Python identifier (e.g. 'E'), got {name!r}.")
        if name in vars(self):
            raise ValueError(f"Network.add: the network already has a child named {name!r}; choose another name.")
        if not (is_population(obj) or is_projection(obj) or isinstance(obj, Network)):
            raise TypeError(
                f"Network.add({name!r}): expected a population (e.g. bl.neurons.LIF), a projection "
                f"(bl.Projection) or a Network, got {type(obj).__name__}."
            )
        setattr(self, name, obj)
        return obj

    def _iter(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, child in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(child, Network):
                yield from child._iter(f"{prefix}{name}.")
            elif is_population(child) or is_projection(child):
                yield f"{prefix}{name}", child

    def populations(self) -> dict[str, Any]:
        """Every population, keyed by path (``'E'``, ``'sub.E'``)."""
        return {p: c for p, c in self._iter() if is_population(c)}

    def projections(self) -> dict[str, Any]:
        """Every projection, keyed by path."""
        return {p: c for p, c in self._iter() if is_projection(c)}

    def path_of(self, obj: Any) -> str:
        for p, c in self._iter():
            if c is obj:
                return p
        raise KeyError(f"{type(obj).__name__} is not part of this network.")

    def update(self, t: Any, dt: Any, inputs: dict[int, Any] | None = None) -> None:
        """Advance every projection, then every population, by one step ``dt`` (ms) at time ``t`` (ms).

        Projections from the same population (stored connectivity, numba kernels, no delay or short-term
        plasticity) propagate their spikes in one kernel call, with the same numbers as separate calls.

        Args:
            inputs: external currents keyed by ``id(population)``, added to the synaptic currents.
        """
        inputs = inputs or {}
        currents: dict[int, Any] = {}
        projections = list(self.projections().values())
        propagated = _propagate_together(projections)
        for proj in projections:
            done = propagated.get(id(proj))
            current = proj.update(t, dt) if done is None else proj.update(t, dt, _propagated=done)
            if current is not None:
                key = id(proj.post)
                currents[key] = current if key not in currents else currents[key] + current
        for pop in self.populations().values():
            key = id(pop)
            total = currents.get(key, 0.0)
            if key in inputs:
                total = total + inputs[key]
            pop.update(t, dt, total)

    def default_dt(self) -> float:
        """The smallest default time step (ms) declared by the populations (0.1 ms if none declares one)."""
        dts = [float(getattr(p, "DEFAULT_DT", 0.1)) for p in self.populations().values()]
        return min(dts) if dts else 0.1

    def summary(self) -> str:
        """A table of populations and projections with sizes, synapse counts and State counts."""
        lines = ["populations:"]
        n_neurons = 0
        for path, pop in self.populations().items():
            size = int(jnp.prod(jnp.asarray(getattr(pop, "varshape", (pop.size,)) if not isinstance(pop.size, int)
                                             else pop.size)))
            n_neurons += size
            lines.append(f"  {path:<16s} {type(pop).__name__:<18s} n={size}")
        n_syn = 0
        projs = self.projections()
        if projs:
            lines.append("projections:")
        for path, proj in projs.items():
            nnz = getattr(proj, "nnz", None)
            n_syn += int(nnz or 0)
            pre = self.path_of(proj.pre) if getattr(proj, "pre", None) is not None else "-"
            post = self.path_of(proj.post)
            lines.append(f"  {path:<16s} {pre} -> {post}  {getattr(proj, 'describe', lambda: type(proj).__name__)()}"
                         + (f"  synapses={nnz}" if nnz is not None else ""))
        lines.append(f"total: {n_neurons} neurons, {n_syn} synapses, {len(self.states())} States")
        text = "\n".join(lines)
        return text

    def __repr__(self) -> str:
        inner = ", ".join(f"{p}={type(c).__name__}" for p, c in self._iter())
        return f"Network({inner})"

    # -- description, files, code and display (brainlab/_network_dict.py, _network_code.py, _mime.py) ---------
    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready description that rebuilds this network (format: :mod:`brainlab._network_dict`).

        Populations, inputs and projections with their parameters (per-neuron and per-synapse values as lists),
        connectivity rules with the seeds they used, and the initial values set with ``State.set_initial``.

        Example:
            >>> import brainlab as bl
            >>> d = bl.networks.coba(50, seed=2).to_dict()
            >>> d["projections"][0]["conn"]["rule"], d["projections"][0]["weight"]
            ('FixedProb', 0.6)
        """
        from ._network_dict import network_to_dict

        return network_to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Network":
        """Rebuild a network from :meth:`to_dict` data; errors name the bad field and the fix.

        Example:
            >>> import brainlab as bl
            >>> net = bl.networks.cuba(50, seed=1)
            >>> bl.Network.from_dict(net.to_dict()).to_dict() == net.to_dict()
            True
        """
        from ._network_dict import network_from_dict

        return network_from_dict(d)

    def save(self, path: Any) -> None:
        """Write :meth:`to_dict` to a JSON file (read it back with :meth:`Network.load`)."""
        from ._network_dict import save

        save(self, path)

    @classmethod
    def load(cls, path: Any) -> "Network":
        """Rebuild a network from a JSON file written by :meth:`save`."""
        from ._network_dict import load

        return load(path)

    def to_code(self, **kwargs: Any) -> str:
        """Python code (brainlab calls) that builds this network; see :func:`brainlab._network_code.network_code`
        for the arguments (``run=duration`` appends a ``bl.Runner`` run)."""
        from ._network_code import network_code

        return network_code(self, **kwargs)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The diagram in notebooks: brainlab's network MIME document, an SVG and a text summary."""
        from ._mime import network_bundle

        return network_bundle(self)
