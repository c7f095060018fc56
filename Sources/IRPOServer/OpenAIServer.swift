import Hummingbird

/// Placeholder: the OpenAI-compatible server over the local engine (`irpo serve`).
public enum OpenAIServer {}
