"""The event kernels' machine code, cached on disk and loaded without importing numba.

numba compiles an FFI handler once per installation.  Its object code (what LLVM emitted for this CPU) is written
to ``<cache root>/kernels/<key>/<target>.o`` with a small JSON record (the handler's symbol and the external
symbols it references).  A later process loads it into llvmlite's MCJIT engine, about 0.1 s for llvmlite plus a
millisecond per handler, instead of importing numba and loading numba's own cache (about 1.6 s on a 2-core machine,
most of it numba's registries, which import ``scipy.linalg``).  That start-up cost is what stood between
``import brainlab`` and a first simulation result.

The key is a hash of the kernel sources (:mod:`._ffi`, :mod:`._ffi_numba`, the kernel modules and :mod:`._rng`),
the numba, llvmlite and Python versions and :func:`brainlab.engine._disk_cache.host_fingerprint`; a changed source
or CPU writes a new entry.  ``BRAINLAB_CACHE_DIR=0`` turns the cache off (numba's cache is used instead).

External symbols of a handler:

- the Python C API and libc (``PyErr_*``, ``memset``): looked up in this process;
- numba's runtime helpers, which a ``cfunc`` references on its exception path and for array reference counts
  (``numba_gil_ensure``/``_release``, ``numba_unpickle``, ``numba_do_raise``,
  ``numba_runtime_build_excinfo_struct``, ``NRT_MemInfo_call_dtor``, ``NRT_Free``).  The handlers never raise
  (a failure is returned to XLA as an error) and never allocate (every array is a view of an XLA buffer, without a
  reference-counted owner), so these are unreachable; they are bound to stand-ins compiled here (the GIL helpers
  are the real thing; the exception helpers leave a ``RuntimeError`` that Python reports as unraisable; the
  reference-count helpers do nothing, which is right for arrays that own nothing).

A handler whose object references anything else (say, an allocation) is not cached and keeps running from numba.
Any failure to read, load or write an entry falls back to numba; nothing here can make a kernel give other numbers,
because the bytes loaded are the ones numba produced.
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .._disk_cache import cache_root, entry_key, write_atomic

_SOURCES = ("_ffi.py", "_ffi_numba.py", "_csr_kernels.py", "_onthefly_kernels.py", "_rng.py")
_FORMAT = "brainlab-kernel-object-1"
_STAND_INS = frozenset({
    "numba_gil_ensure", "numba_gil_release", "numba_unpickle", "numba_do_raise",
    "numba_runtime_build_excinfo_struct", "NRT_MemInfo_call_dtor", "NRT_Free",
})
_LOCK = threading.Lock()


def _versions() -> str | None:
    try:
        return f"numba {metadata.version('numba')} llvmlite {metadata.version('llvmlite')}"
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def _key() -> str | None:
    versions = _versions()
    if versions is None:
        return None
    here = Path(__file__).parent
    sources = [(here / name).read_bytes() for name in _SOURCES]
    return entry_key(_FORMAT, versions, f"python {sys.version_info[:2]}", *sources)[:32]


def cache_dir() -> Path | None:
    """The directory of this installation's kernel objects, or ``None`` when caching is off or numba is absent."""
    root = cache_root()
    key = _key()
    if root is None or key is None:
        return None
    return root / "kernels" / key


def any_cached() -> bool:
    """Whether numba has compiled kernels for this installation before (so loading them needs no numba)."""
    d = cache_dir()
    return d is not None and any(d.glob("*.o"))


def cached(target: str) -> bool:
    """Whether the object code of FFI target ``target`` is on disk for this installation (cheap: no loading)."""
    d = cache_dir()
    return d is not None and (d / f"{target}.json").exists() and (d / f"{target}.o").exists()


# --------------------------------------------------------------------------------------------------------------
# Writing: numba's object code for a handler it has just compiled
# --------------------------------------------------------------------------------------------------------------
class HandlerTable:
    """The FFI handlers of a kernel module, as numba cfuncs compiled on first request.

    ``targets`` maps each FFI target name to the attribute the module exposes (``'scatter_handler'``); the
    Python function compiled for attribute ``a`` is the module's ``_a``.  A kernel module ends with::

        handler, __getattr__ = HandlerTable(__name__, globals(), _SIG, {...}).accessors()

    so that ``module.scatter_handler`` and ``module.handler(target)`` return the compiled cfunc.
    """

    def __init__(self, module: str, namespace: dict, signature: Any, targets: dict[str, str]) -> None:
        self.module, self.namespace, self.signature = module, namespace, signature
        self.targets = dict(targets)
        self._compiled: dict[str, Any] = {}

    def attribute(self, name: str) -> Any:
        if name not in self.targets.values():
            raise AttributeError(f"module {self.module!r} has no attribute {name!r}")
        compiled = self._compiled.get(name)
        if compiled is None:
            target = next(t for t, n in self.targets.items() if n == name)
            compiled = self._compiled[name] = compile_handler(target, self.namespace["_" + name], self.signature)
        return compiled

    def accessors(self) -> tuple[Any, Any]:
        return (lambda target: self.attribute(self.targets[target])), self.attribute


def compile_handler(target: str, pyfunc: Any, signature: Any) -> Any:
    """The numba ``cfunc`` of a handler (numba's own disk cache on), and its object code written to this cache.

    numba's cache holds no linked module to emit object code from, so when numba loaded the handler from its cache
    and this cache lacks the entry, the handler is compiled once more, uncached, to write it (once per
    installation).
    """
    from numba import cfunc

    compiled = cfunc(signature, cache=True)(pyfunc)
    if cache_dir() is not None and not cached(target):
        fresh = compiled if compiled.cache_hits == 0 else cfunc(signature, cache=False)(pyfunc)
        save(target, fresh)
    return compiled


def save(target: str, cfunc: Any) -> bool:
    """Write the object code of the numba ``cfunc`` (compiled in this process, not loaded from numba's cache).

    Returns whether an entry was written.  Uses numba's code library: its final (linked) LLVM module and target
    machine, the same ones numba compiled the handler with.
    """
    d = cache_dir()
    if d is None:
        return False
    try:
        lib = cfunc._library
        module = lib._final_module
        functions = [f.name for f in module.functions if f.is_declaration and not f.name.startswith("llvm.")]
        data = [g.name for g in module.global_variables if g.is_declaration]
        record = {"format": _FORMAT, "symbol": cfunc._wrapper_name, "functions": functions, "data": data}
        if not _resolvable(record):
            return False
        obj = lib._codegen._tm.emit_object(module)
    except Exception:  # a numba without these internals: keep using numba's own cache
        return False
    try:
        d.mkdir(parents=True, exist_ok=True)
        write_atomic(d / f"{target}.o", bytes(obj))
        write_atomic(d / f"{target}.json", json.dumps(record).encode())
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------------------------------------------
# Loading: llvmlite's MCJIT, no numba
# --------------------------------------------------------------------------------------------------------------
_PROCESS = ctypes.CDLL(None)


def _process_symbol(name: str) -> int | None:
    try:
        return ctypes.addressof(ctypes.c_char.in_dll(_PROCESS, name))
    except ValueError:
        return None


def _resolvable(record: dict) -> bool:
    return all(s in _STAND_INS or _process_symbol(s) is not None for s in record["functions"] + record["data"])


class LoadedKernels:
    """One MCJIT engine per process holding the stand-ins and every loaded handler (kept alive while XLA may
    call them: for the life of the process)."""

    def __init__(self) -> None:
        import llvmlite.binding as ll

        ll.initialize_native_target()
        ll.initialize_native_asmprinter()
        self._ll = ll
        for name in ("PyGILState_Ensure", "PyGILState_Release", "PyErr_SetString", "PyExc_RuntimeError"):
            address = _process_symbol(name)
            if address is None:
                raise LookupError(f"{name} is not in this process")
            ll.add_symbol(name, address)
        target = ll.Target.from_default_triple()
        self._tm = target.create_target_machine(cpu=ll.get_host_cpu_name(),
                                                features=ll.get_host_cpu_features().flatten(), codemodel="jitdefault")
        stand_ins = ll.parse_assembly(_stand_in_ir(ll.get_process_triple()))
        stand_ins.verify()
        self._engine = ll.create_mcjit_compiler(stand_ins, self._tm)
        self._engine.finalize_object()
        self._objects: list[Any] = []
        self.addresses: dict[str, int] = {}

    def load(self, target: str, directory: Path) -> int:
        record = json.loads((directory / f"{target}.json").read_text())
        if record.get("format") != _FORMAT:
            raise ValueError(f"kernel cache entry {target} has format {record.get('format')!r}")
        for name in record["functions"] + record["data"]:
            if name in _STAND_INS:
                continue
            address = _process_symbol(name)
            if address is None:
                raise LookupError(f"kernel cache entry {target} needs symbol {name!r}, absent from this process")
            self._ll.add_symbol(name, address)
        obj = self._ll.ObjectFileRef.from_data((directory / f"{target}.o").read_bytes())
        self._engine.add_object_file(obj)
        self._objects.append(obj)
        self._engine.finalize_object()
        address = self._engine.get_function_address(record["symbol"])
        if not address:
            raise LookupError(f"kernel cache entry {target} does not define {record['symbol']!r}")
        self.addresses[target] = address
        return address


_LOADED: list[LoadedKernels] = []


def load(target: str) -> tuple[int, LoadedKernels] | None:
    """The address of FFI target ``target``'s handler loaded from the cache, or ``None`` (not cached, or unusable:
    the caller then compiles it with numba)."""
    d = cache_dir()
    if d is None or not cached(target):
        return None
    with _LOCK:
        try:
            if not _LOADED:
                _LOADED.append(LoadedKernels())
            kernels = _LOADED[0]
            address = kernels.addresses.get(target) or kernels.load(target, d)
        except Exception:
            return None
    return address, kernels


def _stand_in_ir(triple: str) -> str:
    """LLVM IR of the stand-ins for numba's runtime helpers (see the module docstring)."""
    from llvmlite import ir

    i8p = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    void = ir.VoidType()
    m = ir.Module(name="brainlab_kernel_stand_ins")
    m.triple = triple

    def declare(name: str, ret: Any, args: list[Any]) -> Any:
        return ir.Function(m, ir.FunctionType(ret, args), name=name)

    def define(name: str, ret: Any, args: list[Any]) -> tuple[Any, ir.IRBuilder]:
        fn = declare(name, ret, args)
        return fn, ir.IRBuilder(fn.append_basic_block())

    ensure = declare("PyGILState_Ensure", i32, [])
    release = declare("PyGILState_Release", void, [i32])
    set_string = declare("PyErr_SetString", void, [i8p, i8p])
    runtime_error = ir.GlobalVariable(m, i8p, name="PyExc_RuntimeError")
    text = (b"a brainlab event kernel raised an exception inside compiled code (its object code was loaded from "
            b"the kernel cache); rerun with BRAINLAB_CACHE_DIR=0 to see numba's message\0")
    message = ir.GlobalVariable(m, ir.ArrayType(ir.IntType(8), len(text)), name="brainlab_kernel_error_message")
    message.initializer = ir.Constant(ir.ArrayType(ir.IntType(8), len(text)), bytearray(text))
    message.global_constant = True

    fn, b = define("numba_gil_ensure", void, [i32.as_pointer()])
    b.store(b.call(ensure, []), fn.args[0])
    b.ret_void()
    fn, b = define("numba_gil_release", void, [i32.as_pointer()])
    b.call(release, [b.load(fn.args[0])])
    b.ret_void()
    fn, b = define("numba_unpickle", i8p, [i8p, i32, i8p])
    b.call(set_string, [b.load(runtime_error), b.bitcast(message, i8p)])
    b.ret(ir.Constant(i8p, None))
    fn, b = define("numba_runtime_build_excinfo_struct", i8p, [i8p, i8p])
    b.call(set_string, [b.load(runtime_error), b.bitcast(message, i8p)])
    b.ret(ir.Constant(i8p, None))
    fn, b = define("numba_do_raise", void, [i8p])
    b.ret_void()
    fn, b = define("NRT_MemInfo_call_dtor", void, [i8p])
    b.ret_void()
    fn, b = define("NRT_Free", void, [i8p])
    b.ret_void()
    return str(m)
