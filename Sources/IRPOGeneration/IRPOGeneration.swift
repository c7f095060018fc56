/// Sampling and batched generation over the model's KV cache.
public enum IRPOGeneration {}
