r"""Elementwise fusion on CPU: the elementwise equations of a jaxpr, grouped by array size, each group run as one
compiled loop (an XLA FFI call) instead of one XLA kernel per array it writes.

Why: XLA's CPU backend emits one loop kernel per output array.  A network step that writes five state arrays per
population (a membrane potential, two conductances, the spikes, the last spike times) runs as a dozen kernels plus
copies, each reading the same inputs again; at a few thousand neurons each kernel costs a fraction of a
microsecond, mostly launch and memory traffic, and together they were most of the step.  Here the equations of
one size become one loop that reads every input once, keeps intermediates in registers and writes every output
once.

How: :func:`fused_evaluator` walks a closed jaxpr (calls to ``jit``-ed functions and custom-derivative wrappers
inlined).

- An equation is *fusible* when its primitive is a plain elementwise operation on float32/float64/int32 or bool:
  arithmetic, comparisons, logic, ``select_n``, conversions, broadcasts of scalars, reshapes that keep the element
  order.  Fusible equations join the pending group of their element count; any other equation is bound as usual,
  and a pending group is emitted as one call just before an unfusible equation needs one of its values.
- An elementwise equation whose array operands are all broadcasts of scalars is evaluated once, on the scalars (as
  XLA's simplifier does): a decay factor ``expm1(-dt / tau)`` stays one scalar ``expm1``.  Scalar equations are
  recomputed inside each group that reads them.
- A size that also needs float elementwise work that cannot be fused (``exp``, ``log``, ...: XLA's own
  approximations, which a kernel here would not reproduce) stays entirely with XLA, whose fusions would
  otherwise be cut apart.
- A group's kernel is LLVM IR written here and compiled with llvmlite for this CPU (vectorised by LLVM), then
  registered with XLA through the typed FFI (see :mod:`brainlab.engine._event._ffi`).  Compiling one takes
  30-40 ms (a COBA population's kernel, 2 cores); its machine code is then kept in brainlab's on-disk cache
  (``fused`` under :func:`brainlab.engine._disk_cache.cache_root`), from which a later process loads it in
  about a millisecond.
- ``donate`` pairs let an output overwrite the input it replaces (a State a loop carries), so that XLA does not
  copy carried arrays at every step.

Numerics: every operation is the IEEE float operation the jaxpr names (no fast-math; ``max``/``min`` are IEEE
754-2019 maximum/minimum, as XLA lowers them), in the order written; multiply-adds may be contracted into fused
multiply-adds, as XLA's CPU backend does.  The unfused program can differ in the last bit of a float where the two
contract differently, or where XLA's simplifier rewrites an expression (``a / b / c`` into ``a / (b * c)``,
``abs(x * x)`` into ``x * x``).  The COBA and CUBA benchmark networks give identical spike trains either way.

Scope: forward evaluation only.  The calls have no differentiation or batching rules: ``jax.grad`` or
``jax.vmap`` through them raises.  Used by :class:`brainlab.Runner` for its stepping loop on CPU.

Example:
    >>> import jax, jax.numpy as jnp
    >>> from brainlab.engine._fusion import fused_evaluator
    >>> closed = jax.make_jaxpr(lambda v, g: (v + 0.1 * (g * (0.0 - v)), g * 0.9))(jnp.ones(8), jnp.ones(8))
    >>> v, g = jax.jit(fused_evaluator(closed))(jnp.ones(8), jnp.ones(8))
"""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_DTYPES = (*_FLOATS, np.dtype(np.int32), np.dtype(np.bool_))
_BINARY = {"add", "sub", "mul", "div", "max", "min", "and", "or", "xor", "lt", "le", "gt", "ge", "eq", "ne"}
_SHAPE = {"broadcast_in_dim", "reshape", "squeeze", "expand_dims"}  # same elements, another shape
_RELABEL = _SHAPE | {"copy", "copy_p"}  # no arithmetic
_UNARY = {"neg", "abs", "not", "sqrt", "convert_element_type", "integer_pow", "square", "select_n"} | _RELABEL
_INLINED = {"pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"}
MIN_GROUP = 2  # a group of fewer array equations is left to XLA (one XLA kernel either way)


# --------------------------------------------------------------------------------------------------------------
# A flat program: sub-jaxprs inlined, every value a fresh symbol
# --------------------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Sym:
    shape: tuple
    dtype: np.dtype


@dataclass(eq=False)
class _Const:
    """A literal or a closed-over constant; a scalar one whose value is known at trace time is compiled into the
    kernel, any other (an array, or a value traced by an enclosing transform) is passed to it."""
    value: Any
    dtype: np.dtype

    @property
    def shape(self) -> tuple:
        return tuple(np.shape(self.value))

    @property
    def inline(self) -> bool:
        from ._jax_internals import Tracer

        return self.shape == () and not isinstance(self.value, Tracer)


@dataclass(eq=False)
class _Node:
    """One equation of the flat program: ``eqn`` bound to ``ins`` gives ``outs``.  ``eqn`` is ``None`` for the
    broadcast of a uniform value that the rewrite of :func:`_uniform` inserts."""
    eqn: Any
    ins: list
    outs: list

    @property
    def prim(self) -> str:
        return "broadcast_in_dim" if self.eqn is None else self.eqn.primitive.name

    @property
    def params(self) -> dict:
        return {} if self.eqn is None else self.eqn.params


def _dtype(aval: Any) -> Any:
    """NumPy dtype of an abstract value (extended dtypes such as PRNG keys stay as they are: never fused)."""
    try:
        return np.dtype(aval.dtype)
    except TypeError:
        return aval.dtype


def _sub_jaxpr(eqn: Any) -> Any:
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        sub = eqn.params.get(key)
        if sub is not None and hasattr(sub, "jaxpr") and hasattr(sub, "consts"):
            return sub
    return None


def _flatten(jaxpr: Any, consts: list, args: list, nodes: list[_Node]) -> list:
    """Append ``jaxpr``'s equations to ``nodes`` (calls inlined); returns the atoms of its outputs."""
    from jax.extend.core import Literal

    env: dict[Any, Any] = {}
    for v, c in zip(jaxpr.constvars, consts):
        env[v] = _Const(c, _dtype(v.aval))
    for v, a in zip(jaxpr.invars, args):
        env[v] = a

    def read(v: Any) -> Any:
        return _Const(v.val, _dtype(v.aval)) if isinstance(v, Literal) else env[v]

    for eqn in jaxpr.eqns:
        ins = [read(v) for v in eqn.invars]
        sub = _sub_jaxpr(eqn) if eqn.primitive.name in _INLINED else None
        if sub is not None and len(sub.jaxpr.invars) == len(ins):
            outs = _flatten(sub.jaxpr, list(sub.consts), ins, nodes)
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
            continue
        outs = [_Sym(tuple(v.aval.shape), _dtype(v.aval)) for v in eqn.outvars]
        nodes.append(_Node(eqn, ins, outs))
        for v, o in zip(eqn.outvars, outs):
            env[v] = o
    return [read(v) for v in jaxpr.outvars]


# Elementwise primitives XLA may evaluate on a broadcast scalar once instead of per element (its algebraic
# simplifier does the same: an elementwise operation of broadcasts is a broadcast of the operation).
_ELEMENTWISE = _BINARY | (_UNARY - _SHAPE) | {
    "exp", "exp2", "expm1", "log", "log1p", "tanh", "logistic", "sin", "cos", "tan", "pow", "atan2", "erf", "rsqrt",
    "cbrt", "sign", "floor", "ceil", "round", "is_finite", "rem", "clamp", "nextafter", "erfc", "asin", "acos", "atan",
    "sinh", "cosh", "asinh", "acosh", "atanh"}


def _uniform(nodes: list[_Node]) -> list[_Node]:
    """Rewrite elementwise equations whose array operands are all broadcasts of scalars into the scalar
    equation plus one broadcast of its result (as XLA's simplifier does), so that, for example, a decay factor
    ``expm1(a dt)`` computed from a broadcast rate is one scalar ``expm1``, not one per element."""
    scalar_of: dict[int, Any] = {}
    out: list[_Node] = []
    for node in nodes:
        name = node.prim
        if name == "broadcast_in_dim" and len(node.ins) == 1 and node.ins[0].shape == () and len(node.outs) == 1:
            scalar_of[id(node.outs[0])] = node.ins[0]
            out.append(node)
            continue
        if (name in _ELEMENTWISE and len(node.outs) == 1 and node.outs[0].shape != ()
                and any(id(a) in scalar_of for a in node.ins)
                and all(a.shape == () or id(a) in scalar_of for a in node.ins)):
            ins = [scalar_of.get(id(a), a) for a in node.ins]
            scalar = _Sym((), node.outs[0].dtype)
            out.append(_Node(node.eqn, ins, [scalar]))
            out.append(_Node(None, [scalar], node.outs))
            scalar_of[id(node.outs[0])] = scalar
            continue
        out.append(node)
    return out


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _fusible(node: _Node) -> int | None:
    """The element count of the group this equation can join (1 for a scalar equation), or ``None``."""
    name = node.prim
    if name not in _BINARY and name not in _UNARY or len(node.outs) != 1:
        return None
    out = node.outs[0]
    if out.dtype not in _DTYPES or any(a.dtype not in _DTYPES for a in node.ins):
        return None
    n = _size(out.shape)
    if n == 0:
        return None  # nothing to compute (the loop runs its body at least once)
    if name in _SHAPE:
        if name == "reshape" and node.params.get("dimensions") is not None:
            return None
        src = node.ins[0]
        return n if (src.shape == () or _size(src.shape) == n) and len(node.ins) == 1 else None
    if name == "select_n" and (len(node.ins) != 3 or node.ins[0].dtype != np.bool_):
        return None
    if name == "div" and out.dtype not in _FLOATS:
        return None
    if name == "convert_element_type":
        src = node.ins[0].dtype
        if src in _FLOATS and out.dtype not in _FLOATS and out.dtype != np.bool_:
            return None  # float -> int: XLA's saturating conversion is not reproduced here
    if name == "integer_pow" and out.dtype not in _FLOATS:
        return None
    if name == "sqrt" and out.dtype not in _FLOATS:
        return None
    if any(a.shape != () and a.shape != out.shape for a in node.ins):
        return None
    return n


# --------------------------------------------------------------------------------------------------------------
# Code generation
# --------------------------------------------------------------------------------------------------------------
def _ir_type(dtype: np.dtype) -> Any:
    from llvmlite import ir

    return {np.dtype(np.float32): ir.FloatType(), np.dtype(np.float64): ir.DoubleType(),
            np.dtype(np.int32): ir.IntType(32), np.dtype(np.bool_): ir.IntType(1)}[dtype]


def _mem_type(dtype: np.dtype) -> Any:
    from llvmlite import ir

    return ir.IntType(8) if dtype == np.bool_ else _ir_type(dtype)


_CONTRACT = ("contract",)
_FCMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _emit(b: Any, node: _Node, vals: list, module: Any) -> Any:
    """The IR value of ``node``'s output from its operands' IR values (scalars already splat-free)."""
    from llvmlite import ir

    name = node.prim
    out = node.outs[0]
    ty = _ir_type(out.dtype)
    is_float = out.dtype in _FLOATS
    if name in _RELABEL:
        return vals[0]
    if name in ("add", "sub", "mul"):
        if is_float:
            return getattr(b, {"add": "fadd", "sub": "fsub", "mul": "fmul"}[name])(vals[0], vals[1], flags=_CONTRACT)
        return getattr(b, name)(vals[0], vals[1])
    if name == "div":
        return b.fdiv(vals[0], vals[1])
    if name == "square":
        return b.fmul(vals[0], vals[0], flags=_CONTRACT) if is_float else b.mul(vals[0], vals[0])
    if name == "integer_pow":  # as jax lowers it: square-and-multiply, then a reciprocal for negative powers
        x, y, acc = vals[0], int(node.params["y"]), None
        negative, y = y < 0, abs(y)
        if y == 0:
            return ir.Constant(ty, 1.0)
        while y > 0:
            if y & 1:
                acc = x if acc is None else b.fmul(acc, x, flags=_CONTRACT)
            y >>= 1
            if y > 0:
                x = b.fmul(x, x, flags=_CONTRACT)
        return b.fdiv(ir.Constant(ty, 1.0), acc) if negative else acc
    if name == "neg":
        return b.fneg(vals[0]) if is_float else b.sub(ir.Constant(ty, 0), vals[0])
    if name == "abs":
        if is_float:
            fabs = module.declare_intrinsic("llvm.fabs", [ty])
            return b.call(fabs, [vals[0]])
        return b.select(b.icmp_signed("<", vals[0], ir.Constant(ty, 0)), b.neg(vals[0]), vals[0])
    if name == "sqrt":
        return b.call(module.declare_intrinsic("llvm.sqrt", [ty]), [vals[0]])
    if name in ("max", "min"):
        x, y = vals
        if is_float:  # as XLA lowers them: IEEE 754-2019 maximum/minimum (NaN propagates, -0 < +0)
            fname = f"llvm.{name}imum.{'f32' if out.dtype == np.float32 else 'f64'}"
            fn = module.globals.get(fname) or ir.Function(module, ir.FunctionType(ty, [ty, ty]), name=fname)
            return b.call(fn, [x, y])
        return b.select(b.icmp_signed(">=" if name == "max" else "<=", x, y), x, y)
    if name in ("and", "or", "xor"):
        return getattr(b, {"and": "and_", "or": "or_", "xor": "xor"}[name])(vals[0], vals[1])
    if name == "not":
        return b.not_(vals[0])
    if name in _FCMP:
        src = node.ins[0].dtype
        if src in _FLOATS:
            return b.fcmp_unordered("!=", *vals) if name == "ne" else b.fcmp_ordered(_FCMP[name], *vals)
        if src == np.bool_:
            return b.icmp_unsigned(_FCMP[name], *vals)
        return b.icmp_signed(_FCMP[name], *vals)
    if name == "select_n":
        return b.select(vals[0], vals[2], vals[1])
    if name == "convert_element_type":
        src, x = node.ins[0].dtype, vals[0]
        if src == out.dtype:
            return x
        if out.dtype == np.bool_:
            return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0)) if src in _FLOATS \
                else b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))
        if src == np.bool_:
            return b.uitofp(x, ty) if is_float else b.zext(x, ty)
        if src in _FLOATS and is_float:
            return b.fpext(x, ty) if out.dtype == np.float64 else b.fptrunc(x, ty)
        if is_float:
            return b.sitofp(x, ty)
        return x  # int32 -> int32
    raise AssertionError(name)


def _constant(c: _Const) -> Any:
    from llvmlite import ir

    v = np.asarray(c.value).astype(c.dtype).item()
    return ir.Constant(_ir_type(c.dtype), float(v) if c.dtype in _FLOATS else int(v))


@dataclass(eq=False)
class _Group:
    """Pending fusible equations of one element count ``n``."""
    n: int
    nodes: list[_Node] = field(default_factory=list)


def _kernel_ir(name: str, n: int, nodes: list[_Node], inputs: list, outputs: list, alias: dict[int, int]) -> str:
    """LLVM IR of an FFI handler ``name`` computing ``outputs`` of ``nodes`` over ``n`` elements; ``alias`` maps
    an output's position to the input whose buffer it overwrites (element ``i`` is read before it is written)."""
    import llvmlite.binding as ll
    from llvmlite import ir

    from ._event import _ffi as F

    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    ptr = i8.as_pointer()
    m = ir.Module(name=name)
    m.triple = ll.get_process_triple()

    # the loop: one function whose buffers are noalias; an output that overwrites an input is stored through the
    # input's pointer, so that LLVM sees the read of element i before its write
    own = [k for k in range(len(outputs)) if k not in alias]
    body_ty = ir.FunctionType(ir.VoidType(), [ptr] * (len(inputs) + len(own)))
    body = ir.Function(m, body_ty, name=f"{name}_loop")
    body.linkage = "internal"
    for a in body.args:
        a.add_attribute("noalias")
    b = ir.IRBuilder(body.append_basic_block("entry"))
    values: dict[int, Any] = {}
    varying: set[int] = set()
    in_ptrs = body.args[: len(inputs)]
    own_ptrs = dict(zip(own, body.args[len(inputs):]))
    out_ptrs = [own_ptrs[k] if k in own_ptrs else in_ptrs[alias[k]] for k in range(len(outputs))]
    # uniform values first: scalar inputs and the scalar equations
    for sym, p in zip(inputs, in_ptrs):
        if sym.shape == ():
            mt = _mem_type(sym.dtype)
            v = b.load(b.bitcast(p, mt.as_pointer()))
            values[id(sym)] = b.icmp_unsigned("!=", v, ir.Constant(i8, 0)) if sym.dtype == np.bool_ else v

    def operand(a: Any) -> Any:
        if isinstance(a, _Const) and a.inline:
            return _constant(a)
        return values[id(a)]

    for node in nodes:
        if node.outs[0].shape == () and not any(id(a) in varying for a in node.ins if not isinstance(a, _Const)):
            values[id(node.outs[0])] = _emit(b, node, [operand(a) for a in node.ins], m)
    preheader = b.block
    loop = body.append_basic_block("loop")
    done = body.append_basic_block("done")
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(i64, name="i")
    i.add_incoming(ir.Constant(i64, 0), preheader)
    for sym, p in zip(inputs, in_ptrs):
        if sym.shape != ():
            mt = _mem_type(sym.dtype)
            v = b.load(b.gep(b.bitcast(p, mt.as_pointer()), [i], inbounds=True))
            values[id(sym)] = b.icmp_unsigned("!=", v, ir.Constant(i8, 0)) if sym.dtype == np.bool_ else v
            varying.add(id(sym))
    for node in nodes:
        key = id(node.outs[0])
        if key in values:
            continue
        values[key] = _emit(b, node, [operand(a) for a in node.ins], m)
    for sym, p in zip(outputs, out_ptrs):
        mt = _mem_type(sym.dtype)
        v = values[id(sym)]
        if sym.dtype == np.bool_:
            v = b.zext(v, i8)
        b.store(v, b.gep(b.bitcast(p, mt.as_pointer()), [i], inbounds=True))
    nxt = b.add(i, ir.Constant(i64, 1), flags=("nuw", "nsw"))
    i.add_incoming(nxt, b.block)
    b.cbranch(b.icmp_unsigned("<", nxt, ir.Constant(i64, n)), loop, done)
    b.position_at_end(done)
    b.ret_void()

    # the FFI handler: answer XLA's metadata handshake, else read the buffers and run the loop
    handler = ir.Function(m, ir.FunctionType(ptr, [ptr]), name=name)
    hb = ir.IRBuilder(handler.append_basic_block("entry"))
    frame = hb.ptrtoint(handler.args[0], i64)

    def load(ty: Any, addr: Any, offset: int) -> Any:
        return hb.load(hb.inttoptr(hb.add(addr, ir.Constant(i64, offset)), ty.as_pointer()))

    def store(ty: Any, addr: Any, offset: int, value: int) -> None:
        hb.store(ir.Constant(ty, value), hb.inttoptr(hb.add(addr, ir.Constant(i64, offset)), ty.as_pointer()))

    null = ir.Constant(ptr, None)
    ext = load(i64, frame, F.FRAME_EXT)
    check_ext, handshake, execute, ret = (handler.append_basic_block(s) for s in ("ext", "md", "exec", "ret"))
    hb.cbranch(hb.icmp_unsigned("==", ext, ir.Constant(i64, 0)), execute, check_ext)
    hb.position_at_end(check_ext)
    is_md = hb.icmp_unsigned("==", load(i32, ext, F.EXT_TYPE), ir.Constant(i32, F.EXTENSION_METADATA))
    hb.cbranch(is_md, handshake, execute)
    hb.position_at_end(handshake)
    md = load(i64, ext, F.MDEXT_METADATA)
    store(i64, md, F.MD_APIVER, F.APIVER_SIZE)
    store(i64, md, F.MD_APIVER + F.APIVER_EXT, 0)
    store(i32, md, F.MD_APIVER + F.APIVER_MAJOR, F.API_MAJOR)
    store(i32, md, F.MD_APIVER + F.APIVER_MINOR, F.API_MINOR)
    store(i32, md, F.MD_TRAITS, 0)
    with hb.if_then(hb.icmp_unsigned(">=", load(i64, md, 0), ir.Constant(i64, F.MD_STATE_TYPE_ID_END))):
        store(i64, md, F.MD_STATE_TYPE_ID, 0)
    hb.ret(null)
    hb.position_at_end(execute)
    stage_ok = hb.icmp_unsigned("==", load(i32, frame, F.FRAME_STAGE), ir.Constant(i32, F.STAGE_EXECUTE))
    run = handler.append_basic_block("run")
    hb.cbranch(stage_ok, run, ret)
    hb.position_at_end(run)
    args = load(i64, frame, F.FRAME_ARGS)
    rets = load(i64, frame, F.FRAME_RETS)
    in_data = [hb.inttoptr(load(i64, load(i64, args, 8 * k), F.BUF_DATA), ptr) for k in range(len(inputs))]
    out_data = [hb.inttoptr(load(i64, load(i64, rets, 8 * k), F.BUF_DATA), ptr) for k in range(len(outputs))]
    memcpy = m.declare_intrinsic("llvm.memcpy", [ptr, ptr, i64])
    for k, j in alias.items():  # XLA gives an aliased pair one buffer; were it not so, copy the input over first
        nbytes = ir.Constant(i64, n * np.dtype(outputs[k].dtype).itemsize)
        with hb.if_then(hb.icmp_unsigned("!=", hb.ptrtoint(in_data[j], i64), hb.ptrtoint(out_data[k], i64))):
            hb.call(memcpy, [out_data[k], in_data[j], nbytes, ir.Constant(ir.IntType(1), 0)])
        in_data[j] = out_data[k]
    hb.call(body, in_data + [out_data[k] for k in own])
    hb.branch(ret)
    hb.position_at_end(ret)
    hb.ret(null)
    return str(m)


class _Compiler:
    """One llvmlite MCJIT engine per process holding every fused kernel (alive as long as XLA may call them).

    A kernel's machine code is kept on disk (:func:`_object_dir`), so that a later process loads it (about a
    millisecond) instead of optimising and compiling it again (30-40 ms).  ``compiled`` and ``loaded`` count the
    kernels of each kind in this process.
    """

    def __init__(self) -> None:
        import llvmlite.binding as ll

        ll.initialize_native_target()
        ll.initialize_native_asmprinter()
        self._ll = ll
        target = ll.Target.from_default_triple()
        self._tm = target.create_target_machine(cpu=ll.get_host_cpu_name(), opt=3,
                                                features=ll.get_host_cpu_features().flatten(), codemodel="jitdefault")
        empty = ll.parse_assembly(f'target triple = "{ll.get_process_triple()}"')
        self._engine = ll.create_mcjit_compiler(empty, self._tm)
        self._engine.set_object_cache(self._object_compiled, self._object_for)
        self._objects: dict[str, bytes | None] = {}
        self.addresses: dict[str, int] = {}
        self.compiled = 0
        self.loaded = 0

    def compile(self, name: str, text: str) -> int:
        ll = self._ll
        mod = ll.parse_assembly(text)
        mod.verify()
        mod.name = name
        obj = self._objects[name] = _read_object(name)
        if obj is None:
            pto = ll.create_pipeline_tuning_options(speed_level=3)
            pto.loop_vectorization = True
            pto.slp_vectorization = True
            pb = ll.create_pass_builder(self._tm, pto)
            pb.getModulePassManager().run(mod, pb)
        self._engine.add_module(mod)
        self._engine.finalize_object()
        address = self._engine.get_function_address(name)
        if not address:
            raise RuntimeError(f"fused kernel {name} was not emitted")
        self.addresses[name] = address
        if obj is None:
            self.compiled += 1
        else:
            self.loaded += 1
        return address

    def _object_for(self, module: Any) -> bytes | None:
        # MCJIT asks before generating code: the object read from disk, or None to compile
        return self._objects.get(module.name)

    def _object_compiled(self, module: Any, buffer: Any) -> None:
        # MCJIT tells what it generated (only when it did not load it)
        if module.name in self._objects:
            _write_object(module.name, bytes(buffer))


# Kernel objects on disk: ``<cache root>/fused/<key>/<kernel name>.o``.  A kernel's name is the hash of its LLVM IR;
# the key covers the rest (llvmlite/LLVM version, the CPU and its features, the optimisation settings).  A file is
# the SHA-256 of the object followed by the object, so a truncated or damaged file is recompiled, never loaded.
_OBJECT_FORMAT = "brainlab-fused-object-1 O3 loop+slp vectorize"
_MAX_OBJECTS = 4096  # beyond this many files, the oldest half is removed


@functools.lru_cache(maxsize=1)
def _object_key() -> str:
    import llvmlite

    from ._disk_cache import entry_key

    return entry_key(_OBJECT_FORMAT, llvmlite.__version__)[:32]


def _object_dir() -> Path | None:
    from ._disk_cache import cache_root

    root = cache_root()
    return None if root is None else root / "fused" / _object_key()


def _read_object(name: str) -> bytes | None:
    d = _object_dir()
    if d is None:
        return None
    try:
        payload = (d / f"{name}.o").read_bytes()
    except OSError:
        return None
    digest, obj = payload[:32], payload[32:]
    return obj if obj and hashlib.sha256(obj).digest() == digest else None


def _write_object(name: str, obj: bytes) -> None:
    from ._disk_cache import write_atomic

    d = _object_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        write_atomic(d / f"{name}.o", hashlib.sha256(obj).digest() + obj)
        files = list(d.glob("*.o"))
        if len(files) > _MAX_OBJECTS:
            files.sort(key=lambda p: p.stat().st_mtime)
            for p in files[: len(files) // 2]:
                p.unlink(missing_ok=True)
    except OSError:  # an unwritable cache: the kernel is compiled again next time
        pass


_LOCK = threading.Lock()
_COMPILER: list[_Compiler] = []
_PLACEHOLDER = "brainlab_fused_kernel"


def _target(n: int, nodes: list[_Node], inputs: list, outputs: list, alias: dict[int, int]) -> str:
    """Compile (once per process) and register the kernel of a group; returns its FFI target name."""
    from ._event._ffi import register

    # written once under a placeholder name, then named after its own hash (the placeholder appears only in the
    # module's and functions' names)
    text = _kernel_ir(_PLACEHOLDER, n, nodes, inputs, outputs, alias)
    name = "brainlab_fused_" + hashlib.sha256(text.encode()).hexdigest()[:24]
    with _LOCK:
        if not _COMPILER:
            _COMPILER.append(_Compiler())
        compiler = _COMPILER[0]
        if name not in compiler.addresses:
            address = compiler.compile(name, text.replace(_PLACEHOLDER, name))
            register(name, address, compiler)
    return name


# --------------------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Whether fused kernels can be built here (llvmlite importable, the FFI layout understood)."""
    try:
        import importlib

        importlib.import_module("llvmlite.binding")
        from ._event._ffi import LAYOUT_PROBLEM
    except Exception:
        return False
    return LAYOUT_PROBLEM is None


def fused_evaluator(closed: Any, *, donate: Sequence[tuple[int, int]] = (), min_group: int = MIN_GROUP,
                    stats: dict | None = None) -> Callable[..., list]:
    """A function ``f(*args) -> list of outputs`` that evaluates the closed jaxpr ``closed`` (call it while tracing,
    e.g. inside ``jax.jit`` or a ``lax.while_loop`` body) with its elementwise equations fused per element count.

    ``donate`` lists pairs ``(input position, output position)`` of the jaxpr whose output is the next value of
    the input (a State a loop carries): a fused call that computes such an output writes it over the input's
    buffer (``input_output_aliases``), so that XLA need not copy the carried array at every step.  Values are
    the same with or without it.

    ``stats``, if given, receives ``groups`` (the number of fused calls emitted) and ``fused`` (the number of
    equations they hold) at each evaluation.
    """
    nodes: list[_Node] = []
    in_syms = [_Sym(tuple(v.aval.shape), _dtype(v.aval)) for v in closed.jaxpr.invars]
    out_atoms = _flatten(closed.jaxpr, list(closed.consts), in_syms, nodes)
    nodes = _uniform(nodes)
    group_of = {id(node): _fusible(node) for node in nodes}
    # A size with float elementwise work that cannot be fused (exp, log, ...: XLA's own approximations) stays with
    # XLA: cut between fused calls, XLA's kernels would each read and write what its fusions keep in registers.
    blocked = {_size(node.outs[0].shape) for node in nodes
               if group_of[id(node)] is None and node.prim in _ELEMENTWISE and node.outs[0].shape != ()
               and node.outs[0].dtype in _FLOATS}
    group_of = {k: (None if n in blocked else n) for k, n in group_of.items()}
    per_size: dict[int, int] = {}
    for node in nodes:
        n = group_of[id(node)]
        if n is not None and node.outs[0].shape != () and node.prim not in _RELABEL:
            per_size[n] = per_size.get(n, 0) + 1
    if all(count < min_group for count in per_size.values()):
        # nothing can fuse: the program is evaluated as written (not flattened or rewritten), so XLA sees exactly
        # the program it would see without fusion
        from ._jax_internals import eval_jaxpr

        def unfused(*args: Any) -> list:
            if stats is not None:
                stats.update(groups=0, fused=0)
            return list(eval_jaxpr(closed, *args))

        return unfused
    consumers: dict[int, list[_Node]] = {}
    for node in nodes:
        for a in node.ins:
            if isinstance(a, _Sym):
                consumers.setdefault(id(a), []).append(node)
    final = {id(a) for a in out_atoms if isinstance(a, _Sym)}
    next_of = {id(out_atoms[q]): in_syms[p] for p, q in donate
               if isinstance(out_atoms[q], _Sym) and out_atoms[q] is not in_syms[p]}

    def evaluate(*args: Any) -> list:
        import jax

        env: dict[int, Any] = {id(s): a for s, a in zip(in_syms, args)}
        producer: dict[int, _Node] = {}  # deferred (fusible) values -> their equation
        pending: dict[int, _Group] = {}
        counts = {"groups": 0, "fused": 0}

        def bind(node: _Node) -> None:
            eqn = node.eqn
            if eqn is None:
                out = node.outs[0]
                env[id(out)] = jax.lax.broadcast_in_dim(value(node.ins[0]), out.shape, ())
                return
            params = eqn.primitive.get_bind_params(eqn.params)
            subfuns, params = params if isinstance(params, tuple) else ((), params)
            invals = [value(a) for a in node.ins]
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(*subfuns, *invals, **params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            for s, o in zip(node.outs, outs):
                env[id(s)] = o

        def value(a: Any) -> Any:
            if isinstance(a, _Const):
                return a.value
            key = id(a)
            if key not in env:
                node = producer[key]
                group = pending.get(group_of[id(node)])
                if node.outs[0].shape != () and group is not None and any(node is g for g in group.nodes):
                    flush(group.n)
                if key not in env:  # a scalar equation (computed inside kernels too): XLA computes it here
                    bind(node)
            return env[key]

        def closure(node: _Node, into: list[_Node], seen: set[int]) -> None:
            """``node`` and the deferred scalar equations it reads (operands first) appended to ``into``."""
            if id(node) in seen:
                return
            seen.add(id(node))
            for a in node.ins:
                if isinstance(a, _Sym) and id(a) not in env and id(a) in producer:
                    dep = producer[id(a)]
                    if dep.outs[0].shape == ():
                        closure(dep, into, seen)
            into.append(node)

        def flush(n: int) -> None:
            group = pending.pop(n)
            members = group.nodes
            array_nodes = [nd for nd in members if nd.outs[0].shape != ()]
            if sum(nd.prim not in _RELABEL for nd in array_nodes) < min_group:
                for nd in members:
                    if id(nd.outs[0]) not in env:
                        bind(nd)
                return
            inside = {id(nd) for nd in members}
            defined = {id(nd.outs[0]) for nd in members}
            inputs: list = []
            seen_in: set[int] = set()
            for nd in members:
                for a in nd.ins:
                    if isinstance(a, _Sym) and id(a) not in defined and id(a) not in seen_in:
                        seen_in.add(id(a))
                        inputs.append(a)
                    elif isinstance(a, _Const) and not a.inline and id(a) not in seen_in:
                        seen_in.add(id(a))
                        inputs.append(a)
            outputs = [nd.outs[0] for nd in array_nodes
                       if id(nd.outs[0]) in final
                       or any(id(c) not in inside for c in consumers.get(id(nd.outs[0]), []))]
            if not outputs:
                return
            alias: dict[int, int] = {}
            for k, s in enumerate(outputs):
                old = next_of.get(id(s))
                j = next((j for j, a in enumerate(inputs) if a is old), None)
                if j is not None and old.shape == s.shape and old.dtype == s.dtype and j not in alias.values():
                    alias[k] = j
            target = _target(n, members, inputs, outputs, alias)
            call = jax.ffi.ffi_call(target, [jax.ShapeDtypeStruct(s.shape, s.dtype) for s in outputs],
                                    input_output_aliases={j: k for k, j in alias.items()})
            results = call(*[value(a) for a in inputs])
            for s, r in zip(outputs, results):
                env[id(s)] = r
            counts["groups"] += 1
            counts["fused"] += len(members)

        for node in nodes:
            n = group_of[id(node)]
            if n is None:
                bind(node)
                continue
            producer[id(node.outs[0])] = node
            if node.outs[0].shape == ():
                continue  # a scalar: computed in each group that reads it (or by XLA, if an unfusible one does)
            group = pending.setdefault(n, _Group(n))
            closure(node, group.nodes, {id(nd) for nd in group.nodes})
        for n in list(pending):
            flush(n)
        if stats is not None:
            stats.update(counts)
        return [value(a) for a in out_atoms]

    return evaluate
