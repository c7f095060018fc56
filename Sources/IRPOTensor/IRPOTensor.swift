/// Float buffers, GEMM, deterministic parallel loops, seeded RNG and numeric kernels.
public enum IRPOTensor {}
