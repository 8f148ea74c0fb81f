"""The numba side of the FFI bridge: LLVM intrinsics for raw memory access, the call into XLA's error constructor,
and the call-frame readers the kernels are written with.

The struct layouts, enumerations and status codes come from :mod:`._ffi` (which imports no numba) and are
re-exported here, so a kernel module writes ``from . import _ffi_numba as F`` and reads ``F.FRAME_ARGS``,
``F.load_i64``, ``F.OK`` from one place.  numba freezes these module globals as compile-time constants.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._ffi import *  # noqa: F401,F403 - the layout offsets, enumerations and status codes, re-exported

# --------------------------------------------------------------------------------------------------------------
# LLVM intrinsics: raw memory access and the call into XLA's error constructor
# --------------------------------------------------------------------------------------------------------------
_i8p = ir.IntType(8).as_pointer()
_i32 = ir.IntType(32)
_i64 = ir.IntType(64)


@intrinsic
def address_of(typingctx, ptr):
    """The integer address held by a ``void*``."""
    if ptr != types.voidptr:
        return None

    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], _i64)

    return types.int64(types.voidptr), codegen


@intrinsic
def as_voidptr(typingctx, addr):
    """A ``void*`` pointing at an integer address (for ``numba.carray``)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], _i8p)

    return types.voidptr(addr), codegen


@intrinsic
def load_i64(typingctx, addr):
    """The 64-bit integer stored at an address."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.load(builder.inttoptr(args[0], _i64.as_pointer()))

    return types.int64(addr), codegen


@intrinsic
def load_u64_unaligned(typingctx, addr):
    """The 64-bit word at an address of any alignment (used to test 8 spike bytes at once)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.load(builder.inttoptr(args[0], _i64.as_pointer()), align=1)

    return types.uint64(addr), codegen


@intrinsic
def prefetch(typingctx, addr):
    """Ask the CPU to start loading the cache line at an address (``llvm.prefetch``, read, high locality)."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.VoidType(), [_i8p, _i32, _i32, _i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.inttoptr(args[0], _i8p), _i32(0), _i32(3), _i32(1)])
        return context.get_dummy_value()

    return types.none(addr), codegen


@intrinsic
def load_i32(typingctx, addr):
    """The 32-bit integer (a C enum) stored at an address."""
    if not isinstance(addr, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.load(builder.inttoptr(args[0], _i32.as_pointer()))

    return types.int32(addr), codegen


@intrinsic
def store_i64(typingctx, addr, value):
    """Write a 64-bit integer at an address."""
    if not isinstance(addr, types.Integer) or not isinstance(value, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        v = context.cast(builder, args[1], signature.args[1], types.int64)
        builder.store(v, builder.inttoptr(args[0], _i64.as_pointer()))
        return context.get_dummy_value()

    return types.none(addr, value), codegen


@intrinsic
def store_i32(typingctx, addr, value):
    """Write a 32-bit integer at an address."""
    if not isinstance(addr, types.Integer) or not isinstance(value, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        v = context.cast(builder, args[1], signature.args[1], types.int32)
        builder.store(v, builder.inttoptr(args[0], _i32.as_pointer()))
        return context.get_dummy_value()

    return types.none(addr, value), codegen


@intrinsic
def null_error(typingctx):
    """``NULL``: the handler's "success" return value."""

    def codegen(context, builder, signature, args):
        return ir.Constant(_i8p, None)

    return types.voidptr(), codegen


@intrinsic
def ffi_error(typingctx, api, code, message):
    """Build an ``XLA_FFI_Error*`` through ``api->XLA_FFI_Error_Create`` with a constant message.

    Writes an ``XLA_FFI_Error_Create_Args`` on the stack (struct_size, extension_start = NULL, message, errc) and
    calls the function pointer at ``API_ERROR_CREATE`` in the ``XLA_FFI_Api`` struct.  XLA copies the message.
    """
    if not isinstance(message, types.StringLiteral) or not isinstance(api, types.Integer):
        return None
    text = message.literal_value

    def codegen(context, builder, signature, args):
        api_addr, errc, _ = args
        args_ty = ir.LiteralStructType([_i64, _i8p, _i8p, _i32])
        slot = cgutils.alloca_once(builder, args_ty)
        zero = _i32(0)
        builder.store(_i64(ERRARGS_SIZE), builder.gep(slot, [zero, _i32(0)]))
        builder.store(ir.Constant(_i8p, None), builder.gep(slot, [zero, _i32(1)]))
        builder.store(context.insert_const_string(builder.module, text), builder.gep(slot, [zero, _i32(2)]))
        code32 = context.cast(builder, errc, signature.args[1], types.int32)
        builder.store(code32, builder.gep(slot, [zero, _i32(3)]))
        fn_ty = ir.FunctionType(_i8p, [args_ty.as_pointer()])
        api64 = context.cast(builder, api_addr, signature.args[0], types.int64)
        fn_slot = builder.inttoptr(builder.add(api64, _i64(API_ERROR_CREATE)), fn_ty.as_pointer().as_pointer())
        return builder.call(builder.load(fn_slot), [slot])

    return types.voidptr(api, code, message), codegen


# --------------------------------------------------------------------------------------------------------------
# Call-frame readers.  Plain (not numba-inlined) functions: LLVM inlines the small ones when it links a handler,
# and compiling them once keeps the handlers' first compilation short.
# --------------------------------------------------------------------------------------------------------------


@njit(cache=True)
def frame_api(frame: int) -> int:
    return load_i64(frame + FRAME_API)


@njit(cache=True)
def answer_handshake(frame: int) -> int:
    """If this call is XLA's registration handshake, answer it: 1 answered, -1 malformed, 0 not a handshake."""
    ext = load_i64(frame + FRAME_EXT)
    if ext == 0:
        return 0
    if load_i32(ext + EXT_TYPE) != EXTENSION_METADATA:
        return 0
    if load_i64(ext + EXT_SIZE) < MDEXT_SIZE_REQUIRED:
        return -1
    md = load_i64(ext + MDEXT_METADATA)
    md_size = load_i64(md)
    if md_size < MD_SIZE_REQUIRED:
        return -1
    store_i64(md + MD_APIVER, APIVER_SIZE)
    store_i64(md + MD_APIVER + APIVER_EXT, 0)
    store_i32(md + MD_APIVER + APIVER_MAJOR, API_MAJOR)
    store_i32(md + MD_APIVER + APIVER_MINOR, API_MINOR)
    store_i32(md + MD_TRAITS, 0)
    if md_size >= MD_STATE_TYPE_ID_END:
        store_i64(md + MD_STATE_TYPE_ID, 0)  # XLA_FFI_UNKNOWN_TYPE_ID: a stateless handler
    return 1


@njit(cache=True)
def check_frame(frame: int, n_args: int, n_rets: int) -> int:
    """Validate the frame's size, stage and the number and kind of operands and results."""
    if load_i64(frame) < FRAME_SIZE_REQUIRED:
        return E_FRAME
    if load_i32(frame + FRAME_STAGE) != STAGE_EXECUTE:
        return E_STAGE
    if load_i64(frame + FRAME_NARGS) != n_args or load_i64(frame + FRAME_NRETS) != n_rets:
        return E_ARITY
    arg_types = load_i64(frame + FRAME_ARG_TYPES)
    for i in range(n_args):
        if load_i32(arg_types + 4 * i) != ARG_BUFFER:
            return E_ARITY
    ret_types = load_i64(frame + FRAME_RET_TYPES)
    for i in range(n_rets):
        if load_i32(ret_types + 4 * i) != RET_BUFFER:
            return E_ARITY
    return OK


@njit(cache=True)
def arg_buffer(frame: int, i: int) -> int:
    """Address of the ``XLA_FFI_Buffer`` of operand ``i``."""
    return load_i64(load_i64(frame + FRAME_ARGS) + 8 * i)


@njit(cache=True)
def ret_buffer(frame: int, i: int) -> int:
    """Address of the ``XLA_FFI_Buffer`` of result ``i``."""
    return load_i64(load_i64(frame + FRAME_RETS) + 8 * i)


@njit(cache=True)
def buf_dtype(buf: int) -> int:
    return load_i32(buf + BUF_DTYPE)


@njit(cache=True)
def buf_data(buf: int) -> Any:
    return as_voidptr(load_i64(buf + BUF_DATA))


@njit(cache=True)
def buf_rank(buf: int) -> int:
    return load_i64(buf + BUF_RANK)


@njit(cache=True)
def buf_dim(buf: int, d: int) -> int:
    return load_i64(load_i64(buf + BUF_DIMS) + 8 * d)


@njit(cache=True)
def fail(api: int, code: int) -> Any:
    """An ``XLA_FFI_Error*`` whose message explains ``code``."""
    if code == E_FRAME:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: XLA passed a call frame smaller than the FFI 0.3 layout; "
                         "this jaxlib is not supported by the numba backend, use backend='jax'.")
    if code == E_STAGE:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: called for an FFI stage other than EXECUTE.")
    if code == E_ARITY:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: wrong number of operands or results, or a non-buffer operand "
                         "(the ffi_call does not match the kernel; call it through brainlab.engine._event).")
    if code == E_DTYPE:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: unsupported element type (spikes bool/float32/float64, index "
                         "arrays int32, seeds/tables uint32, weights and results float32 or float64 of one dtype).")
    if code == E_SHAPE:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: operand shapes are inconsistent (ranks, n_pre + 1 row pointers, "
                         "nnz weights, or leading batch sizes that are neither 1 nor the result's).")
    if code == E_INDPTR:
        return ffi_error(api, ERRC_OUT_OF_RANGE,
                         "brainlab event kernel: `indptr` is not a valid CSR row-pointer array (it must start at "
                         ">= 0, never decrease, and end at <= len(indices)); rebuild the connectivity.")
    if code == E_INDEX:
        return ffi_error(api, ERRC_OUT_OF_RANGE,
                         "brainlab event kernel: a column index in `indices` is out of range (< 0 or >= the number "
                         "of postsynaptic neurons); check n_post and the connectivity arrays.")
    if code == E_METADATA:
        return ffi_error(api, ERRC_INVALID_ARGUMENT,
                         "brainlab event kernel: XLA's registration handshake passed metadata structs smaller "
                         "than the FFI 0.3 layout; use backend='jax'.")
    return ffi_error(api, ERRC_INTERNAL, "brainlab event kernel: internal error.")
