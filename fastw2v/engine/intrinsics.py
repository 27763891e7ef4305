"""LLVM intrinsics for the Numba kernels: a software prefetch and an atomic load.

**Prefetch** (LLVM's ``llvm.prefetch``). Training touches a dozen random rows
of two matrices per centre word; most of them miss the cache. The kernels know
the next centre's rows one step ahead and ask for them early with
:func:`prefetch_row`, so the loads overlap the arithmetic of the current step.
A prefetch is only a hint: it never faults and never changes a result.

**Atomic load.** A plain ``stop[0]`` read in a loop may be hoisted out of the
loop by the compiler (nothing in the loop writes ``stop``), so the kernel would
never see the driver's request. :func:`load_relaxed` emits an atomic
(monotonic) load, which the compiler must perform every time it is reached; on
x86 it is an ordinary move, so it costs nothing.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

LINE_FLOATS = 16  # float32 values per 64-byte cache line


@intrinsic
def _prefetch(typingctx, arr, row, col):
    """Prefetch the cache line holding ``arr[row, col]`` (2-D array) for reading."""

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        index = [context.cast(builder, args[i], sig.args[i], types.intp) for i in (1, 2)]
        ptr = cgutils.get_item_pointer2(
            context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
            strides=cgutils.unpack_tuple(builder, ary.strides), layout=aryty.layout, inds=index)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, row, col), codegen


@njit(cache=True, inline="always")
def prefetch_row(matrix, row):
    """Ask for every cache line of ``matrix[row, :]``."""
    for col in range(0, matrix.shape[1], LINE_FLOATS):
        _prefetch(matrix, row, col)


@intrinsic
def load_relaxed(typingctx, arr, index):
    """``arr[index]`` of a 1-D int64 array, read with an atomic monotonic load."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and arr.dtype == types.int64):
        return None

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        i = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = cgutils.get_item_pointer2(
            context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
            strides=cgutils.unpack_tuple(builder, ary.strides), layout=aryty.layout, inds=[i])
        return builder.load_atomic(ptr, "monotonic", 8)

    return types.int64(arr, index), codegen
