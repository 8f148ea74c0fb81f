"""Zero contours of a function sampled on a rectangular grid (marching squares), as separate polylines.

Nullclines are the zero sets of the components of the vector field.  The grid values are classified as
inside (:math:`f > 0`) or outside, every grid cell contributes up to two segments whose end points are
linearly interpolated on the cell edges, and segments that share an end point are chained into polylines.
Distinct branches of a zero set stay distinct polylines.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["zero_contours"]

# For each of the 16 corner cases (bit 0: bottom-left, 1: bottom-right, 2: top-right, 3: top-left inside),
# the pairs of cell edges (B, R, T, L) joined by a segment.  Cases 5 and 10 are saddles; they are resolved
# by the value at the cell centre below.
_B, _R, _T, _L = 0, 1, 2, 3
_TABLE: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((_L, _B),),
    2: ((_B, _R),),
    3: ((_L, _R),),
    4: ((_R, _T),),
    6: ((_B, _T),),
    7: ((_L, _T),),
    8: ((_T, _L),),
    9: ((_B, _T),),
    11: ((_R, _T),),
    12: ((_L, _R),),
    13: ((_B, _R),),
    14: ((_L, _B),),
}
_SADDLE = {
    # (case, centre inside) -> segments
    (5, True): ((_B, _R), (_T, _L)),
    (5, False): ((_L, _B), (_R, _T)),
    (10, True): ((_L, _B), (_R, _T)),
    (10, False): ((_B, _R), (_T, _L)),
}


def _crossings(
    z: np.ndarray, inside: np.ndarray, xs: np.ndarray, ys: np.ndarray, axis: int, key_offset: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The zero crossings on the grid edges along ``axis`` (1: horizontal edges, 0: vertical edges).

    Returns ``(edges, keys, points)``: the raveled indices (sorted) of the edges that carry a crossing, the key
    of each crossing point and its coordinates.  A point is interpolated from the outside
    end towards the inside end; when it falls exactly on a grid node (the function is exactly zero there) the
    node's key is used, so that branches meeting at a node join.
    """
    ny, nx = z.shape
    if axis == 1:
        ia, ib = inside[:, :-1], inside[:, 1:]
        shape = (ny, nx - 1)
    else:
        ia, ib = inside[:-1, :], inside[1:, :]
        shape = (ny - 1, nx)
    jj, ii = np.nonzero(ia != ib)
    ja, ia_ = jj, ii
    jb, ib_ = (jj, ii + 1) if axis == 1 else (jj + 1, ii)
    a_in = inside[ja, ia_]
    # the outside end (o) and the inside end (n)
    jo, io = np.where(a_in, jb, ja), np.where(a_in, ib_, ia_)
    jn, in_ = np.where(a_in, ja, jb), np.where(a_in, ia_, ib_)
    f_out, f_in = z[jo, io], z[jn, in_]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.nan_to_num(f_out / (f_out - f_in)), 0.0, 1.0)
    px = xs[io] + t * (xs[in_] - xs[io])
    py = ys[jo] + t * (ys[jn] - ys[jo])
    at_in = t == 1.0
    px = np.where(at_in, xs[in_], px)
    py = np.where(at_in, ys[jn], py)
    edge = jj * shape[1] + ii
    keys = np.where(t == 0.0, jo * nx + io, np.where(at_in, jn * nx + in_, key_offset + edge))
    return edge, keys, np.stack([px, py], axis=-1)


def _lookup(edges: np.ndarray, keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The crossing key of each queried edge (only meaningful for edges that carry a crossing)."""
    if edges.size == 0:
        return np.full(query.shape, -1, np.int64)
    return keys[np.clip(np.searchsorted(edges, query), 0, edges.size - 1)]


def _segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, inside: np.ndarray):
    ny, nx = z.shape
    n_nodes = ny * nx
    h_edges, h_keys, h_pts = _crossings(z, inside, xs, ys, 1, n_nodes)
    v_edges, v_keys, v_pts = _crossings(z, inside, xs, ys, 0, n_nodes + ny * (nx - 1))
    keys = np.concatenate([h_keys, v_keys])
    pts = np.concatenate([h_pts, v_pts])
    uniq, first = np.unique(keys, return_index=True)
    table = (uniq, pts[first])

    finite = np.isfinite(z)
    valid = finite[:-1, :-1] & finite[:-1, 1:] & finite[1:, 1:] & finite[1:, :-1]
    case = (inside[:-1, :-1] * 1 + inside[:-1, 1:] * 2 + inside[1:, 1:] * 4 + inside[1:, :-1] * 8).astype(np.int8)
    case[~valid] = 0
    jj, ii = np.nonzero((case != 0) & (case != 15))
    cases = case[jj, ii]
    centre = 0.25 * (z[jj, ii] + z[jj, ii + 1] + z[jj + 1, ii + 1] + z[jj + 1, ii]) > 0
    # keys of the crossing on each edge of the active cells: bottom, right, top, left
    cell_keys = np.stack(
        [_lookup(h_edges, h_keys, jj * (nx - 1) + ii), _lookup(v_edges, v_keys, jj * nx + ii + 1),
         _lookup(h_edges, h_keys, (jj + 1) * (nx - 1) + ii), _lookup(v_edges, v_keys, jj * nx + ii)], axis=-1,
    )
    seg_a, seg_b = [], []
    for c, pairs in _TABLE.items():
        sel = cases == c
        if sel.any():
            k = cell_keys[sel]
            for e1, e2 in pairs:
                seg_a.append(k[:, e1])
                seg_b.append(k[:, e2])
    for (c, cen), pairs in _SADDLE.items():
        sel = (cases == c) & (centre == cen)
        if sel.any():
            k = cell_keys[sel]
            for e1, e2 in pairs:
                seg_a.append(k[:, e1])
                seg_b.append(k[:, e2])
    if not seg_a:
        return np.zeros((0,), np.int64), np.zeros((0,), np.int64), table
    a = np.concatenate(seg_a)
    b = np.concatenate(seg_b)
    keep = a != b  # a segment collapsed onto one grid node carries no length
    return a[keep], b[keep], table


def _points(table: tuple[np.ndarray, np.ndarray], path: list[int]) -> np.ndarray:
    uniq, pts = table
    return pts[np.searchsorted(uniq, np.asarray(path))]


def _chain(a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """Chain undirected segments (a[k], b[k]) into maximal paths; junctions (degree != 2) end paths."""
    adj: dict[int, list[int]] = defaultdict(list)
    a_l, b_l = a.tolist(), b.tolist()
    for s, (ka, kb) in enumerate(zip(a_l, b_l)):
        adj[ka].append(s)
        adj[kb].append(s)
    used = [False] * len(a_l)
    paths: list[list[int]] = []

    def other(s: int, key: int) -> int:
        return b_l[s] if a_l[s] == key else a_l[s]

    def walk(start: int, s: int) -> list[int]:
        path = [start]
        key = start
        while True:
            used[s] = True
            key = other(s, key)
            path.append(key)
            nxt = [t for t in adj[key] if not used[t]] if len(adj[key]) == 2 else []
            if not nxt:
                return path
            s = nxt[0]

    ends = [k for k, segs in adj.items() if len(segs) != 2]
    for k in ends:
        for s in adj[k]:
            if not used[s]:
                paths.append(walk(k, s))
    for s in range(len(a_l)):  # closed loops
        if not used[s]:
            paths.append(walk(a_l[s], s))
    return paths


def _needs_second_pass(z: np.ndarray) -> bool:
    """Whether some exact zero of the grid lacks a positive or a negative neighbour (a flat piece of f = 0).

    The first pass (inside: f > 0) draws the boundary of the positive side only; where f vanishes on a
    whole patch, its boundary with the negative side needs a second pass (inside: f >= 0).
    """
    zero = z == 0
    if not zero.any():
        return False
    pad = np.pad(np.nan_to_num(z, nan=0.0), 1)
    neigh = np.stack([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]])
    has_pos = (neigh > 0).any(axis=0)
    has_neg = (neigh < 0).any(axis=0)
    return bool(np.any(zero & ~(has_pos & has_neg)))


def zero_contours(xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> list[np.ndarray]:
    r"""The zero set of a function sampled on a grid, as a list of polylines (each an array of shape (k, 2)).

    Args:
        xs: the grid's x coordinates, shape ``(nx,)``, increasing.
        ys: the grid's y coordinates, shape ``(ny,)``, increasing.
        z: the function values, shape ``(ny, nx)`` (``z[j, i] = f(xs[i], ys[j])``); non-finite values mark cells
            that are skipped.

    Returns:
        Polylines in ``(x, y)`` coordinates; a closed curve repeats its first point at the end.

    Example:
        >>> xs = ys = np.linspace(-2, 2, 101)
        >>> X, Y = np.meshgrid(xs, ys)
        >>> (circle,) = zero_contours(xs, ys, X**2 + Y**2 - 1)
        >>> bool(np.allclose(np.hypot(circle[:, 0], circle[:, 1]), 1, atol=1e-3))
        True

    The zero crossing on each cell edge is found by linear interpolation, so the curve is accurate to
    :math:`O(h^2)` in the grid spacing :math:`h`.  Values exactly zero on grid nodes are honoured: a nullcline
    lying on a grid line is drawn on it, and a region where :math:`f \equiv 0` is drawn as its outline (the
    boundaries with the positive and the negative side).  Limits: a zero set thinner than a grid cell (a
    tangency, or two branches closer than :math:`h`) can be missed or merged; refine the grid.
    """
    xs = np.asarray(xs, np.float64)
    ys = np.asarray(ys, np.float64)
    z = np.asarray(z, np.float64)
    if z.shape != (ys.size, xs.size):
        raise ValueError(f"zero_contours: z must have shape (len(ys), len(xs)) = {(ys.size, xs.size)}, got {z.shape}.")
    if xs.size < 2 or ys.size < 2:
        return []
    a, b, table = _segments(xs, ys, z, np.isfinite(z) & (z > 0))
    lines = [_points(table, p) for p in _chain(a, b) if len(p) >= 2]
    if _needs_second_pass(z):
        seen = set(a.tolist()) | set(b.tolist())
        a2, b2, table2 = _segments(xs, ys, z, np.isfinite(z) & (z >= 0))
        for p in _chain(a2, b2):
            if len(p) >= 2 and not all(k in seen for k in p):
                lines.append(_points(table2, p))
    return lines
