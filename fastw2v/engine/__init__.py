"""The training engine: the compiled kernels, the tables they read (sampling,
losses, the Huffman tree) and the intrinsics they use."""
