"""Reading a value another thread may change, from inside a Numba kernel.

A plain ``stop[0]`` read in a loop may be hoisted out of the loop by the
compiler (nothing in the loop writes ``stop``), so the kernel would never see
the driver's request. :func:`load_relaxed` emits an atomic (monotonic) load,
which the compiler must perform every time it is reached; on x86 it is an
ordinary move, so it costs nothing.
"""

from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


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
