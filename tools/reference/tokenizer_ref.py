#!/usr/bin/env python3
"""Independent reference for Hugging Face byte-level BPE tokenizers.

Written from the behaviour of Hugging Face `tokenizers` (encode with
add_special_tokens=False) for tokenizer.json files with an optional NFC
normalizer, a ByteLevel pre-tokenizer and a BPE model, such as GPT-NeoX-20B.
It shares no code with the Go package and uses different algorithms where it
can: added tokens are found with a regular-expression alternation ordered
longest first (leftmost-longest at the first position that matches), and BPE
is the original GPT-2 loop that merges every occurrence of the best pair.

Needs Debian's python3 and python3-regex (`apt-get install -y python3-regex`).

    tokenizer_ref.py TOKENIZER_JSON encode TEXT...      print ids, one line per text
    tokenizer_ref.py TOKENIZER_JSON vectors OUT.json    write the built-in vectors
    tokenizer_ref.py TOKENIZER_JSON random OUT.json N SEED   write N random vectors
    tokenizer_ref.py TOKENIZER_JSON flags OUT.json      vectors for extra added tokens with
                                                        single_word, lstrip, rstrip and normalized set
    tokenizer_ref.py TOKENIZER_JSON digest FILE...      token count and SHA-256 of the ids of each file

Encoding steps (as Hugging Face tokenizers does them):
  1. added tokens with normalized=false are split out of the raw text;
  2. each remaining stretch is NFC-normalised separately, then added tokens
     with normalized=true are split out of it;
  3. each remaining stretch is cut with the GPT-2 regex, each piece is written
     in the byte-level alphabet and merged by BPE rank.
The whitespace-run added tokens of GPT-NeoX-20B (50254..50276 = 24..2 spaces)
are normalized=true, so they are matched in step 2: a run of n spaces becomes
n // 24 tokens of 24 spaces, then one token of n % 24 spaces when that is 2 or
more; a single leftover space is left to the regex, which joins it to the
word after it (" world"), or makes it a piece of its own.
"""

import hashlib
import json
import sys
import unicodedata

import regex

GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
WORD_AT_START = regex.compile(r"^\w")
WORD_AT_END = regex.compile(r"\w$")
SPACE_AT_START = regex.compile(r"^\s*")
SPACE_AT_END = regex.compile(r"\s*$")


def bytes_to_unicode():
    """The GPT-2 byte-level alphabet, as in GPT-2's encoder.py."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class Reference:
    def __init__(self, path, extra_added=()):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        spec["added_tokens"] = spec["added_tokens"] + list(extra_added)
        model = spec["model"]
        assert model.get("type", "BPE") == "BPE"
        norm = spec.get("normalizer")
        assert norm is None or norm["type"] == "NFC", norm
        self.nfc = norm is not None
        pre = spec["pre_tokenizer"]
        assert pre["type"] == "ByteLevel" and pre.get("use_regex", True), pre
        self.add_prefix_space = pre.get("add_prefix_space", False)
        self.vocab = model["vocab"]
        merges = model["merges"]
        self.ranks = {}
        for i, m in enumerate(merges):
            pair = tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
            self.ranks[pair] = i
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.added = {t["id"]: t for t in spec["added_tokens"] if t["content"]}
        raw = [t for t in self.added.values() if not t["normalized"]]
        normed = [t for t in self.added.values() if t["normalized"]]
        self.raw_set = self._alternation(raw, lambda s: s)
        self.norm_set = self._alternation(normed, self.normalize)
        self.cache = {}

    def normalize(self, s):
        return unicodedata.normalize("NFC", s) if self.nfc else s

    @staticmethod
    def _alternation(tokens, normalize):
        if not tokens:
            return None
        by_pattern = {normalize(t["content"]): t for t in tokens}
        ordered = sorted(by_pattern, key=len, reverse=True)
        return regex.compile("|".join(regex.escape(p) for p in ordered)), by_pattern

    def split_added(self, s, matching):
        """Yield (text, None) and (None, id) parts of s."""
        if matching is None:
            if s:
                yield s, None
            return
        pattern, by_pattern = matching
        done = 0
        for m in pattern.finditer(s):
            start, stop = m.span()
            tok = by_pattern[m.group()]
            if tok["single_word"]:
                if (start > 0 and WORD_AT_END.search(s[:start])) or (stop < len(s) and WORD_AT_START.search(s[stop:])):
                    continue
            if tok["lstrip"]:
                start = max(SPACE_AT_END.search(s[:start]).start(), done)
            if tok["rstrip"]:
                stop += SPACE_AT_START.search(s[stop:]).end()
            if done < start:
                yield s[done:start], None
            yield None, tok["id"]
            done = stop
        if done < len(s):
            yield s[done:], None

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            merged = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        ids = [self.vocab[w] for w in word]
        self.cache[token] = ids
        return ids

    def encode_text(self, s):
        if self.add_prefix_space and not s.startswith(" "):
            s = " " + s
        ids = []
        for piece in GPT2_PATTERN.findall(s):
            token = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.bpe(token))
        return ids

    def encode(self, text):
        ids = []
        for part, tid in self.split_added(text, self.raw_set):
            if tid is not None:
                ids.append(tid)
                continue
            for sub, sid in self.split_added(self.normalize(part), self.norm_set):
                if sid is not None:
                    ids.append(sid)
                else:
                    ids.extend(self.encode_text(sub))
        return ids


def cases():
    out = [""]
    for n in range(1, 31):
        sp = " " * n
        out += ["a" + sp + "b", sp, sp + "x", "x" + sp, "x" + sp + "\n", "\n" + sp + "y", "1" + sp + "2", "." + sp + "!"]
    out += [
        "\t", "\t\t", "a\tb", "a\t\tb", " \t x", "\t  x", "  \t\tx", "x \t", "\n", "\n\n", "\n\n\n",
        "a\nb", "a\n\nb", "a \nb", "a  \n  b", "a\r\nb", "\r\n\r\n", " \n ", "x\n    y", "def f():\n    return 1\n",
        "  leading", "trailing  ", "   both   ", "a \u00a0b", "a\u3000b", "a\u2003\u2003b", "\u00a0\u00a0x",
        "a\x0bb\x0cc", "a\x1cb\x1fc", "a\x85b", "x \u2028y",
        "0", "7", "12", "123", "1234", "12345", "123456789012345678901234567890", "3.14159", "1,000,000",
        "2026-11-26", "v1.2.3", "x=42;", " 42", "  42", "٣٤٥", "½ ⅓", "²³", "Ⅻ",
        "I can't", "it's", "you're", "we've", "I'm", "they'll", "he'd", "'s", "'S", "IT'S", "don''t", "rock 'n' roll",
        " 's", "x's's", "'''", "'ll've're", "O'Neil's",
        "café", "cafe\u0301", "e\u0301\u0301", "A\u030a", "\u212b", "\u1e9b\u0323", "ñandú", "Ελληνικά", "Русский текст",
        "日本語のテキスト", "中文分词测试", "한국어 텍스트", "\u1100\u1161\u11a8", "עברית", "العربية", "हिन्दी", "ไทย",
        "emoji 😀🎉", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "a😀b", "\u00e9\u0327", "\u0041\u0327\u0301",
        "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", " <|endoftext|> ", "<|padding|>",
        "x  <|endoftext|>  y", "<|endoftext", "<|end", "Hello world<|endoftext|>",
        "Hello, world! How are you?", "The quick brown fox jumps over the lazy dog.",
        "Mamba is a state-space model.", "URL: https://example.com/a?b=c&d=e#f",
        "email@example.com", "C++ && C#", "$$$ %%% ^^^", "---", "...", "!?", "((()))", "{\"key\": [1, 2]}",
        "snake_case_name", "camelCaseName", "ALLCAPS", "MiXeD", "a_b-c.d",
        "    indented code\n        more", "tab\tseparated\tvalues\n1\t2\t3",
        "ﬁ ligature", "Ｆｕｌｌｗｉｄｔｈ", "x\u200by", "\ufeffbom", "\ufffd",
        "e" + "\u0301\u0316" * 20, "a" + "\u0308" * 35 + "b", "o\u0323\u0302" * 3, "\u1100\u1161\u11a8\u1100\u1161",
        "\u0b47\u0b3e", "\u0915\u093c", "a" * 100, "ab" * 50, "1" * 100, "x" + "!?" * 40,
        "Supercalifragilisticexpialidocious" * 3, "𝐀𝐁𝐂 𝟏𝟐𝟑",
    ]
    for n in (31, 47, 48, 49, 50, 72, 100):
        out += ["a" + " " * n + "b", " " * n, "x" + " " * n + "\n"]
    return out


RANDOM_ALPHABET = [
    " ", " ", " ", "  ", "    ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u3000", "\x1c", "\x0b",
    "a", "b", "Z", "the", " the", "ing", "'", "'s", "'t", "'re", "'ll", "s", "t", "d", "m", "re", "ve",
    "0", "7", "42", "٣", "½", ".", ",", "-", "!", "?", "@", "#", "(", ")", "_", "\\", "\"",
    "é", "e\u0301", "\u0301", "\u0323", "ñ", "ß", "Ж", "λ", "日", "本", "語", "한", "\u1100\u1161", "😀", "👍🏽", "\u200d",
    "<|endoftext|>", "<|padding|>", "<|", "|>", "\ufffd", "\ufeff",
]


def random_text(rng):
    return "".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randrange(0, 30)))


# Added tokens with every flag, given ids after GPT-NeoX-20B's 50276.
FLAG_TOKENS = [
    {"id": 50277, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False, "normalized": False, "special": True},
    {"id": 50278, "content": "[R]", "single_word": False, "lstrip": False, "rstrip": True, "normalized": False, "special": True},
    {"id": 50279, "content": "cat", "single_word": True, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 50280, "content": "cafe\u0301!", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 50281, "content": "<both>", "single_word": True, "lstrip": True, "rstrip": True, "normalized": False, "special": True},
    {"id": 50282, "content": "ab", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 50283, "content": "abc", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
]

FLAG_CASES = [
    "I saw a <mask> here", "I saw a   <mask>", "<mask>", "  <mask>  ", "x<mask>y", "a\t\n<mask>",
    "[R]   next", "[R]", "x[R]\t\ny", "a [R] [R]  b", "<mask>[R]  <mask>",
    "cat", "a cat sat", "concatenate", "cats", "cat!", "_cat", "écat", "cat\u0301", "(cat)",
    "café! yes", "cafe\u0301! yes", "café!", "x  café!  y",
    "a <both> b", "a<both>b", "  <both>  ", "x <both>", "ab", "abc", "abcd", "aabc", "xabcab", "a b c",
    "<mask>   <mask>", "   ", "", "a  <mask>  cat  [R]  abc",
]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd = argv[2]
    ref = Reference(argv[1], FLAG_TOKENS if cmd == "flags" else ())
    if cmd == "encode":
        for text in argv[3:]:
            print(json.dumps(ref.encode(text)))
    elif cmd == "vectors":
        vectors = [{"text": t, "ids": ref.encode(t)} for t in cases()]
        doc = {
            "tokenizer": "gpt-neox-20b tokenizer.json",
            "generator": "tools/reference/tokenizer_ref.py vectors (Python "
            + sys.version.split()[0] + ", regex " + regex.__version__
            + ", unicodedata " + unicodedata.unidata_version + ")",
            "add_special_tokens": False,
            "vectors": vectors,
        }
        with open(argv[3], "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
    elif cmd == "random":
        import random
        n, seed = int(argv[4]), int(argv[5])
        rng = random.Random(seed)
        texts = [random_text(rng) for _ in range(n)]
        doc = {
            "tokenizer": "gpt-neox-20b tokenizer.json",
            "generator": "tools/reference/tokenizer_ref.py random %d %d" % (n, seed),
            "add_special_tokens": False,
            "vectors": [{"text": t, "ids": ref.encode(t)} for t in texts],
        }
        with open(argv[3], "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
            f.write("\n")
    elif cmd == "flags":
        doc = {
            "tokenizer": "gpt-neox-20b tokenizer.json with extra_added_tokens appended to added_tokens",
            "generator": "tools/reference/tokenizer_ref.py flags",
            "add_special_tokens": False,
            "extra_added_tokens": FLAG_TOKENS,
            "vectors": [{"text": t, "ids": ref.encode(t)} for t in FLAG_CASES],
        }
        with open(argv[3], "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
    elif cmd == "digest":
        for path in argv[3:]:
            with open(path, encoding="utf-8") as f:
                ids = ref.encode(f.read())
            h = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
            print(json.dumps({"file": path, "tokens": len(ids), "sha256": h}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
