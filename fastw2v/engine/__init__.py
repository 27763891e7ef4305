"""The training engine: the compiled kernels, the tables they read (sampling,
losses, the Huffman tree) and the intrinsics they use."""

import warnings

from numba.core.errors import NumbaIRAssumptionWarning

# The per-loss and per-input functions are inlined into the kernel at Numba's IR
# level (a call per centre word costs up to 15% at small dimensions; see
# bench/README.md, "Benchmark log", entry "2026-12-01: the one engine and the
# trust checks"). Inlining functions that hold loops makes Numba's internal SSA
# check print "variable ... is not in scope" when it first compiles them: a
# pedantic self-check of Numba's, not a problem in the code (the fingerprint
# tests pin the results bit for bit), so it is silenced rather than shown to
# users on their first run.
warnings.filterwarnings("ignore", category=NumbaIRAssumptionWarning, module="numba.core.ssa")
