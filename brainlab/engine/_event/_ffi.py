"""The bridge between numba-compiled kernels and XLA's typed foreign-function interface (FFI).

A kernel here is a numba ``cfunc`` with the C signature ``XLA_FFI_Error* handler(XLA_FFI_CallFrame*)``: XLA calls
it directly from compiled code, with no Python in the call path.  The handler reads its operands and results out
of the call frame by raw pointer arithmetic.  This module holds what needs no numba: the struct layouts the
handlers rely on (checked against jaxlib's header), the status codes, and the registration itself
(``jax.ffi.register_ffi_target(..., api_version=1)``).  The LLVM intrinsics (load/store at an address, calling
XLA's error constructor), the frame readers and the answer to XLA's registration handshake are in
:mod:`._ffi_numba`; the handlers' machine code is cached and loaded without numba by :mod:`._native`.

Layout relied on (``xla/ffi/api/c_api.h``, FFI API 0.3, as shipped in ``jax.ffi.include_dir()``; LP64: pointers
and ``size_t`` are 8 bytes, C enums 4 bytes).  Byte offsets:

===========================  ==========================================================================
struct                       fields (offset)
===========================  ==========================================================================
XLA_FFI_Extension_Base       struct_size 0, type 8 (enum), next 16                       -> size 24
XLA_FFI_Api_Version          struct_size 0, extension_start 8, major 16, minor 20          -> size 24
XLA_FFI_Error_Create_Args    struct_size 0, extension_start 8, message 16, errc 24         -> STRUCT_SIZE 28
XLA_FFI_Buffer               struct_size 0, extension_start 8, dtype 16, data 24, rank 32, dims 40 -> 48
XLA_FFI_Args / _Rets         struct_size 0, extension_start 8, size 16, types 24, args|rets 32 -> 40
XLA_FFI_Attrs                struct_size 0, extension_start 8, size 16, types 24, names 32, attrs 40 -> 48
XLA_FFI_CallFrame            struct_size 0, extension_start 8, api 16, ctx 24, stage 32, args 40,
                             rets 80, attrs 120                                           -> STRUCT_SIZE 168
XLA_FFI_Metadata             struct_size 0, api_version 8, traits 32, state_type_id 40     -> STRUCT_SIZE 36
XLA_FFI_Metadata_Extension   extension_base 0, metadata 24                                 -> STRUCT_SIZE 32
XLA_FFI_Api                  struct_size 0, extension_start 8, api_version 16, internal_api 40,
                             XLA_FFI_Error_Create 48 (function pointer)
===========================  ==========================================================================

These offsets are computed from ``ctypes`` mirrors of the structs and checked against the numbers above at import;
when jaxlib's header is present, its struct field lists are also compared with the mirrors, so a jaxlib whose ABI
moved disables the numba backend (with the reason in :func:`numba_status`) instead of reading garbage.

The handshake: when a target is registered, XLA calls the handler once with a call frame whose
``extension_start`` is an ``XLA_FFI_Metadata_Extension``; the handler must fill in the FFI API version it was
written against (0.3 here) and its traits (none) and return ``NULL``.  Every other call is an execution.

Limits: 64-bit little-endian CPUs only (x86-64, aarch64).  Attributes are not decoded: the kernels take every
input, including scalars, as a buffer.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------------------------
# ctypes mirrors of the C structs (field order and C types as in c_api.h)
# --------------------------------------------------------------------------------------------------------------
_size_t = ctypes.c_size_t
_ptr = ctypes.c_void_p
_enum = ctypes.c_int


class _ExtensionBase(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("type", _enum), ("next", _ptr)]


class _ApiVersion(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("major_version", ctypes.c_int),
                ("minor_version", ctypes.c_int)]


class _ErrorCreateArgs(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("message", _ptr), ("errc", _enum)]


class _Buffer(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("dtype", _enum), ("data", _ptr),
                ("rank", ctypes.c_int64), ("dims", _ptr)]


class _Args(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("size", ctypes.c_int64), ("types", _ptr),
                ("args", _ptr)]


class _Rets(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("size", ctypes.c_int64), ("types", _ptr),
                ("rets", _ptr)]


class _Attrs(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("size", ctypes.c_int64), ("types", _ptr),
                ("names", _ptr), ("attrs", _ptr)]


class _CallFrame(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("api", _ptr), ("ctx", _ptr),
                ("stage", _enum), ("args", _Args), ("rets", _Rets), ("attrs", _Attrs), ("future", _ptr)]


class _Metadata(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("api_version", _ApiVersion), ("traits", ctypes.c_uint32),
                ("state_type_id", ctypes.c_int64)]


class _MetadataExtension(ctypes.Structure):
    _fields_ = [("extension_base", _ExtensionBase), ("metadata", _ptr)]


class _ApiPrefix(ctypes.Structure):
    _fields_ = [("struct_size", _size_t), ("extension_start", _ptr), ("api_version", _ApiVersion),
                ("internal_api", _ptr), ("XLA_FFI_Error_Create", _ptr)]


def _off(struct: Any, *path: str) -> int:
    """Byte offset of a (possibly nested) field."""
    total, cur = 0, struct
    for name in path:
        field = getattr(cur, name)
        total += field.offset
        cur = dict(cur._fields_)[name]
    return total


def _struct_size(struct: Any, last: str) -> int:
    """The header's ``XLA_FFI_STRUCT_SIZE(struct, last_field)``: offset of the last field plus its size."""
    return getattr(struct, last).offset + ctypes.sizeof(dict(struct._fields_)[last])


# Offsets used by the kernels (numba freezes these module globals as compile-time constants).
FRAME_SIZE_REQUIRED = _struct_size(_CallFrame, "attrs")
FRAME_EXT = _off(_CallFrame, "extension_start")
FRAME_API = _off(_CallFrame, "api")
FRAME_STAGE = _off(_CallFrame, "stage")
FRAME_NARGS = _off(_CallFrame, "args", "size")
FRAME_ARG_TYPES = _off(_CallFrame, "args", "types")
FRAME_ARGS = _off(_CallFrame, "args", "args")
FRAME_NRETS = _off(_CallFrame, "rets", "size")
FRAME_RET_TYPES = _off(_CallFrame, "rets", "types")
FRAME_RETS = _off(_CallFrame, "rets", "rets")
EXT_SIZE = _off(_ExtensionBase, "struct_size")
EXT_TYPE = _off(_ExtensionBase, "type")
MDEXT_METADATA = _off(_MetadataExtension, "metadata")
MDEXT_SIZE_REQUIRED = _struct_size(_MetadataExtension, "metadata")
MD_SIZE_REQUIRED = _struct_size(_Metadata, "traits")
MD_STATE_TYPE_ID_END = _struct_size(_Metadata, "state_type_id")
MD_APIVER = _off(_Metadata, "api_version")
MD_TRAITS = _off(_Metadata, "traits")
MD_STATE_TYPE_ID = _off(_Metadata, "state_type_id")
APIVER_SIZE = _struct_size(_ApiVersion, "minor_version")
APIVER_EXT = _off(_ApiVersion, "extension_start")
APIVER_MAJOR = _off(_ApiVersion, "major_version")
APIVER_MINOR = _off(_ApiVersion, "minor_version")
BUF_DTYPE = _off(_Buffer, "dtype")
BUF_DATA = _off(_Buffer, "data")
BUF_RANK = _off(_Buffer, "rank")
BUF_DIMS = _off(_Buffer, "dims")
API_ERROR_CREATE = _off(_ApiPrefix, "XLA_FFI_Error_Create")
ERRARGS_SIZE = _struct_size(_ErrorCreateArgs, "errc")

# The numbers documented in the module docstring: a platform where they differ cannot run these kernels.
_EXPECTED = {
    "FRAME_SIZE_REQUIRED": 168, "FRAME_EXT": 8, "FRAME_API": 16, "FRAME_STAGE": 32, "FRAME_NARGS": 56,
    "FRAME_ARG_TYPES": 64, "FRAME_ARGS": 72, "FRAME_NRETS": 96, "FRAME_RET_TYPES": 104, "FRAME_RETS": 112,
    "EXT_TYPE": 8, "MDEXT_METADATA": 24, "MDEXT_SIZE_REQUIRED": 32, "MD_SIZE_REQUIRED": 36, "MD_APIVER": 8,
    "MD_TRAITS": 32, "MD_STATE_TYPE_ID": 40, "APIVER_SIZE": 24, "APIVER_MAJOR": 16, "APIVER_MINOR": 20,
    "BUF_DTYPE": 16, "BUF_DATA": 24, "BUF_RANK": 32, "BUF_DIMS": 40, "API_ERROR_CREATE": 48, "ERRARGS_SIZE": 28,
}

# Enumerations (c_api.h).
API_MAJOR, API_MINOR = 0, 3  # the FFI API version whose layout is mirrored above
EXTENSION_METADATA = 1
STAGE_EXECUTE = 3
ARG_BUFFER = 1
RET_BUFFER = 1
DT_PRED, DT_S32, DT_U32, DT_F32, DT_F64 = 1, 4, 8, 11, 12
ERRC_INVALID_ARGUMENT, ERRC_OUT_OF_RANGE, ERRC_INTERNAL = 3, 11, 13

# Mirrored fields per struct, for the comparison with jaxlib's header.  A ``True`` flag means only this prefix of
# the struct is relied on (fields appended by a later FFI minor version are fine).
_HEADER_FIELDS = {
    "XLA_FFI_Extension_Base": (["struct_size", "type", "next"], False),
    "XLA_FFI_Api_Version": (["struct_size", "extension_start", "major_version", "minor_version"], False),
    "XLA_FFI_Error_Create_Args": (["struct_size", "extension_start", "message", "errc"], False),
    "XLA_FFI_Buffer": (["struct_size", "extension_start", "dtype", "data", "rank", "dims"], False),
    "XLA_FFI_Args": (["struct_size", "extension_start", "size", "types", "args"], False),
    "XLA_FFI_Rets": (["struct_size", "extension_start", "size", "types", "rets"], False),
    "XLA_FFI_Attrs": (["struct_size", "extension_start", "size", "types", "names", "attrs"], False),
    "XLA_FFI_CallFrame": (["struct_size", "extension_start", "api", "ctx", "stage", "args", "rets", "attrs"], True),
    "XLA_FFI_Metadata": (["struct_size", "api_version", "traits", "state_type_id"], True),
    "XLA_FFI_Metadata_Extension": (["extension_base", "metadata"], False),
    "XLA_FFI_Api": (["struct_size", "extension_start", "api_version", "internal_api", "XLA_FFI_Error_Create"], True),
}
_HEADER_ENUMS = {
    "XLA_FFI_Extension_Metadata": EXTENSION_METADATA, "XLA_FFI_ExecutionStage_EXECUTE": STAGE_EXECUTE,
    "XLA_FFI_ArgType_BUFFER": ARG_BUFFER, "XLA_FFI_RetType_BUFFER": RET_BUFFER, "XLA_FFI_DataType_PRED": DT_PRED,
    "XLA_FFI_DataType_S32": DT_S32, "XLA_FFI_DataType_U32": DT_U32, "XLA_FFI_DataType_F32": DT_F32,
    "XLA_FFI_DataType_F64": DT_F64, "XLA_FFI_Error_Code_INVALID_ARGUMENT": ERRC_INVALID_ARGUMENT,
    "XLA_FFI_Error_Code_OUT_OF_RANGE": ERRC_OUT_OF_RANGE, "XLA_FFI_Error_Code_INTERNAL": ERRC_INTERNAL,
}


def _header_fields(text: str, name: str) -> list[str] | None:
    m = re.search(r"struct\s+" + re.escape(name) + r"\s*\{(.*?)\}\s*\w*\s*;", text, re.S)
    if m is None:
        return None
    body = re.sub(r"//[^\n]*", "", m.group(1))
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        macro = re.match(r"_XLA_FFI_API_STRUCT_FIELD\((\w+)\)", decl)
        if macro:
            fields.append(macro.group(1))
            continue
        fn_ptr = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
        fields.append(fn_ptr.group(1) if fn_ptr else re.findall(r"\w+", decl)[-1])
    return fields


def check_layout(header_path: str | None = None) -> str | None:
    """Verify the mirrored ABI; return ``None`` when it holds, else the reason it does not."""
    if ctypes.sizeof(ctypes.c_void_p) != 8 or ctypes.sizeof(ctypes.c_size_t) != 8:
        return "the numba FFI kernels need a 64-bit platform (8-byte pointers)"
    if np.little_endian is False:
        return "the numba FFI kernels need a little-endian CPU"
    g = globals()
    for key, value in _EXPECTED.items():
        if g[key] != value:
            return f"FFI struct layout differs from the documented one: {key} = {g[key]}, expected {value}"
    if header_path is None:
        try:
            import jax.ffi

            header_path = os.path.join(jax.ffi.include_dir(), "xla", "ffi", "api", "c_api.h")
        except Exception:  # pragma: no cover - jaxlib always ships its headers
            header_path = None
    if header_path is None or not os.path.exists(header_path):
        return None  # nothing to compare with; the mirrors above are the documented 0.3 layout
    with open(header_path, encoding="utf-8") as fh:
        text = fh.read()
    major = re.search(r"#define\s+XLA_FFI_API_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+XLA_FFI_API_MINOR\s+(\d+)", text)
    if major is None or minor is None or int(major.group(1)) != API_MAJOR or int(minor.group(1)) < API_MINOR:
        return (f"jaxlib's FFI header ({header_path}) declares API version "
                f"{major and major.group(1)}.{minor and minor.group(1)}; the numba kernels speak {API_MAJOR}."
                f"{API_MINOR} (same major version, minor at least {API_MINOR} needed)")
    for name, (expected, prefix_only) in _HEADER_FIELDS.items():
        found = _header_fields(text, name)
        ok = found is not None and (found[: len(expected)] == expected if prefix_only else found == expected)
        if not ok:
            return f"jaxlib's FFI header lays out struct {name} as {found}, the numba kernels expect {expected}"
    for name, value in _HEADER_ENUMS.items():
        m = re.search(r"\b" + re.escape(name) + r"\s*=\s*(\d+)", text)
        if m is None or int(m.group(1)) != value:
            return f"jaxlib's FFI header gives {name} = {m and m.group(1)}, the numba kernels expect {value}"
    return None


LAYOUT_PROBLEM = check_layout()

# Status codes the kernels return (0 = success); :func:`._ffi_numba.fail` turns them into XLA errors.
OK = 0
E_FRAME = 1  # call frame smaller than the 0.3 layout
E_STAGE = 2  # called for a stage other than EXECUTE
E_ARITY = 3  # wrong number of operands/results, or one that is not a buffer
E_DTYPE = 4  # an operand or result has an unsupported element type
E_SHAPE = 5  # ranks or dimensions inconsistent with each other
E_INDPTR = 6  # CSR row pointers not non-decreasing or outside [0, nnz]
E_INDEX = 7  # CSR column index outside [0, n)
E_METADATA = 8  # the handshake's structs are smaller than the 0.3 layout


# --------------------------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------------------------
_REGISTERED: dict[str, Any] = {}  # target name -> the owner of its machine code (kept alive: XLA holds the address)
_LOCK = threading.Lock()


def register(name: str, address: int, owner: Any) -> None:
    """Register the handler at ``address`` as the CPU typed-FFI target ``name`` (once per process).

    ``owner`` keeps the machine code alive (a numba cfunc, a :class:`._native.LoadedKernels`, or the fused
    kernels' :class:`brainlab.engine._fusion._Compiler`).  XLA answers by calling the handler with the metadata
    handshake (see :func:`._ffi_numba.answer_handshake`).
    """
    with _LOCK:
        if name in _REGISTERED:
            return
        if LAYOUT_PROBLEM is not None:
            raise RuntimeError(
                f"brainlab: the numba event kernels are unavailable: {LAYOUT_PROBLEM}. Use backend='jax'."
            )
        import jax.ffi

        capsule = jax.ffi.pycapsule(address)
        jax.ffi.register_ffi_target(name, capsule, platform="cpu", api_version=1)
        _REGISTERED[name] = owner
