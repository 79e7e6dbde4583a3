"""Golden outputs for an exported model, from the exact sequential float32 path.

  /usr/bin/python3 golden.py ../../testdata/mamba1-shakespeare
  /usr/bin/python3 golden.py ../../testdata/mamba2-shakespeare

Reads the model back from its official files (config.json plus pytorch_model.bin or
model.safetensors), so the goldens also check the export. Writes golden.safetensors and
golden.json into the model directory:

  prompt_tokens                 I32 [T]        the bytes of PROMPT
  logits                        F32 [T, V]     logits at every prompt position
  final.layers.{i}.conv_state   F32 [C, d_conv] last d_conv pre-conv inputs, oldest first
  final.layers.{i}.ssm_state    F32 [E, N] (Mamba1) or [H, P, N] (Mamba2), after the prompt
  greedy_tokens                 I32 [64]       greedy continuation (ties -> lowest id):
                                               greedy[0] = argmax logits[T-1], then decode steps
  ppl_window_nll                F64 [W]        NLL sum of each perplexity window

Perplexity protocol: tokens = the bytes of testdata/shakespeare-heldout.txt; non-overlapping
windows of 256 tokens (a last window shorter than 2 tokens is dropped); each window starts
from the zero state; the NLL of tokens 1..n-1 of a window given their prefix is summed;
log-softmax over the padded vocabulary, in float64 from the float32 logits;
ppl = exp(total NLL / total predictions).
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamba_ref import (Mamba1Config, Mamba2Config, MambaLM,  # noqa: E402
                       load_official_state_dict, read_safetensors, write_safetensors)

PROMPT = "ROMEO:\nBut soft, what light through yonder window"
N_GREEDY = 64
CTX = 256
HELDOUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata",
                       "shakespeare-heldout.txt")


def load_model(d):
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    if c.get("model_type") == "mamba2":
        cfg = Mamba2Config(d_model=c["hidden_size"], n_layer=c["num_hidden_layers"],
                           vocab_size=c["vocab_size"], d_state=c["state_size"],
                           d_conv=c["conv_kernel"], expand=c["expand"], headdim=c["head_dim"],
                           ngroups=c["n_groups"], chunk_size=c["chunk_size"],
                           pad_vocab_size_multiple=c["pad_vocab_size_multiple"],
                           tie_embeddings=c["tie_word_embeddings"])
        assert cfg.nheads == c["num_heads"]
        sd = read_safetensors(os.path.join(d, "model.safetensors"))
    else:
        s = c["ssm_cfg"]
        assert s["layer"] == "Mamba1"
        cfg = Mamba1Config(d_model=c["d_model"], n_layer=c["n_layer"], vocab_size=c["vocab_size"],
                           d_state=s["d_state"], d_conv=s["d_conv"], expand=s["expand"],
                           pad_vocab_size_multiple=c["pad_vocab_size_multiple"],
                           tie_embeddings=c["tie_embeddings"])
        sd = torch.load(os.path.join(d, "pytorch_model.bin"))
    model = MambaLM(cfg)
    load_official_state_dict(model, sd)
    model.eval()
    return model


def argmax_lowest(v):
    """Index of the maximum of a 1-D tensor; ties go to the lowest index."""
    return int(torch.nonzero(v == v.max())[0, 0])


def top2_margin(v):
    """Largest minus second-largest logit: how far a greedy choice is from a tie."""
    top = torch.topk(v, 2).values
    return float(top[0] - top[1])


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    model = load_model(d)
    cfg = model.cfg
    out = {}
    with torch.no_grad():
        prompt = torch.tensor(list(PROMPT.encode()), dtype=torch.long)
        T = len(prompt)
        logits, states = model(prompt[None], exact=True)
        logits = logits[0]
        out["prompt_tokens"] = prompt.to(torch.int32)
        out["logits"] = logits
        for i, (conv_state, ssm_state) in enumerate(states):
            out[f"final.layers.{i}.conv_state"] = conv_state[0]
            out[f"final.layers.{i}.ssm_state"] = ssm_state[0]

        # Cross-check: the same prompt fed through decode steps from the zero state.
        st = model.empty_state(1)
        stepped = []
        for t in range(T):
            lg, st = model.step(prompt[t : t + 1], st)
            stepped.append(lg[0])
        step_diff = (torch.stack(stepped) - logits).abs().max().item()
        state_diff = max(max((a - b).abs().max().item() for a, b in zip(sa, sb))
                         for sa, sb in zip(st, states))
        # Both are float32 with different summation orders: agreement to a few ulps of the
        # largest logit is all that can be asked.
        scale = logits.abs().max().item()
        assert step_diff < 2e-6 * scale and state_diff < 1e-5, (step_diff, state_diff, scale)

        greedy = [argmax_lowest(logits[-1])]
        margins = [top2_margin(logits[-1])]
        st = states
        for _ in range(N_GREEDY - 1):
            lg, st = model.step(torch.tensor([greedy[-1]]), st)
            greedy.append(argmax_lowest(lg[0]))
            margins.append(top2_margin(lg[0]))
        out["greedy_tokens"] = torch.tensor(greedy, dtype=torch.int32)

        text = open(HELDOUT, "rb").read()
        tokens = torch.tensor(list(text), dtype=torch.long)
        windows = [tokens[i : i + CTX] for i in range(0, len(tokens), CTX)]
        if len(windows[-1]) < 2:
            windows.pop()
        nll = []
        # Full windows go through the exact path together (batched over windows).
        full = [w for w in windows if len(w) == CTX]
        rest = [w for w in windows if len(w) != CTX]
        groups = ([torch.stack(full)] if full else []) + [w[None] for w in rest]
        for batch in groups:
            lg, _ = model(batch[:, :-1], exact=True)
            logp = torch.log_softmax(lg.double(), dim=-1)
            picked = logp.gather(-1, batch[:, 1:, None])[..., 0]
            nll.extend((-picked.sum(-1)).tolist())
        nll_t = torch.tensor(nll, dtype=torch.float64)
        out["ppl_window_nll"] = nll_t
        predictions = sum(len(w) - 1 for w in windows)
        total = float(nll_t.sum())

    write_safetensors(os.path.join(d, "golden.safetensors"), out, {"format": "pt"})
    info = {
        "prompt": PROMPT,
        "prompt_tokens": T,
        "greedy_text": bytes(greedy).decode("latin-1"),
        "computed_with": "tools/reference/golden.py: exact sequential float32 recurrence "
                         "(torch %s, CPU); NLL in float64" % torch.__version__,
        "greedy_protocol": "greedy_tokens[0] = argmax(logits[T-1]); greedy_tokens[k] = argmax of "
                           "the decode step on greedy_tokens[k-1] continuing from the state after "
                           "the prompt; ties go to the lowest token id",
        "decode_steps_vs_sequential": {
            "max_abs_logit": scale,
            "max_abs_logit_diff": step_diff,
            "max_abs_state_diff": state_diff,
        },
        "greedy_min_top2_margin": min(margins),
        "state_layout": {
            "conv_state": "[C, d_conv]: the last d_conv pre-conv inputs (in_proj outputs of the "
                          "conv channels), oldest first, zeros before the first token",
            "ssm_state": "[E, N]" if cfg.arch == "mamba1" else "[H, P, N]",
        },
        "perplexity": {
            "text": "testdata/shakespeare-heldout.txt",
            "tokens": "its bytes (vocab 256 = the byte values)",
            "ctx": CTX,
            "protocol": "non-overlapping windows of ctx tokens, the last may be shorter and is "
                        "dropped below 2 tokens; each window starts from the zero state; sum of "
                        "-log softmax(logits[t])[token[t+1]] for t = 0..n-2 over the padded "
                        "vocabulary, log-softmax in float64 from float32 logits; "
                        "ppl = exp(total_nll / predictions)",
            "bytes": len(text),
            "windows": len(windows),
            "predictions": predictions,
            "total_nll": total,
            "nll_per_byte": total / predictions,
            "ppl": math.exp(total / predictions),
        },
        "tensors": {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in out.items()},
    }
    tmp = os.path.join(d, "golden.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(d, "golden.json"))
    print(json.dumps({k: info[k] for k in ("prompt", "greedy_text", "perplexity")}, indent=2))


if __name__ == "__main__":
    main()
