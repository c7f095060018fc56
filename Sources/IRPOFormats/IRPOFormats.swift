/// Container formats without model semantics: safetensors and GGUF.
public enum IRPOFormats {}
