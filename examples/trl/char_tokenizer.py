#!/usr/bin/env python3
"""Give a model folder made by `irpo demo` (character vocabulary in irpo_char_vocab.json) a Hugging
Face tokenizer with the same ids, so transformers and TRL can train it:

    python examples/trl/char_tokenizer.py runs/demo/m0/model

Writes tokenizer.json (WordLevel over single characters; BOS before every text, like irpo's
CharacterTokenizer.encodePrompt; "<eos>" in text is the end-of-sequence token) and
tokenizer_config.json. irpo keeps reading irpo_char_vocab.json, which it prefers.
"""

import json
import os
import sys

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors


def main(folder):
    with open(os.path.join(folder, "irpo_char_vocab.json")) as f:
        vocab_file = json.load(f)
    if vocab_file.get("format") != "irpo-char-v1":
        sys.exit(f"{folder}/irpo_char_vocab.json has format {vocab_file.get('format')!r}, expected 'irpo-char-v1'")
    tokens = vocab_file["tokens"]
    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="?"))
    # Every character is its own word.
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tokenizer.add_special_tokens(["<pad>", "<bos>", "<eos>"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", vocab["<bos>"])])
    tokenizer.decoder = decoders.Fuse()
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "?",
        "add_bos_token": True, "model_max_length": 1 << 30, "clean_up_tokenization_spaces": False,
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)

    from transformers import AutoTokenizer
    check = AutoTokenizer.from_pretrained(folder)
    text = "Q: 12 + 7 = ?\nA: 19"
    ids = check(text)["input_ids"]
    expected = [vocab["<bos>"]] + [vocab.get(c, vocab["?"]) for c in text]
    if ids != expected:
        sys.exit(f"tokenizer check failed: {ids} != {expected}")
    print(f"wrote {folder}/tokenizer.json ({len(tokens)} tokens); ids match irpo's CharacterTokenizer")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
