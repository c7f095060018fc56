/// Tokenizers from tokenizer.json and GGUF vocabularies, and chat templates.
public enum IRPOTokenizer {}
