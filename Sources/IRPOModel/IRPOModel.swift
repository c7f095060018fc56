/// Llama-family models: configuration, parameters, forward and backward.
public enum IRPOModel {}
