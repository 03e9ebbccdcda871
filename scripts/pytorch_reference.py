"""The model in PyTorch float64: writes the golden fixture that Tests/GPTTests/PyTorchReferenceTests.swift
holds our engine to (the loss, the logits at every position and every weight's gradient).

Run by hand, never in CI; the fixture it writes is committed:

    python3 -m venv .venv && .venv/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl numpy && .venv/bin/python scripts/pytorch_reference.py

It implements the model exactly as Sources/GPT/Model/GPT.swift does, but the PyTorch way: the whole
document at once with a causal mask instead of one token at a time with a KV cache, and autograd
instead of the tape. Legend of dimension names:
    V = vocab_size, C = n_embd, H = n_head, D = head_dim (C / H), T = positions of the document
"""

import json
import math
from pathlib import Path

import torch

# The config: as small as covers every kind of weight and two heads. One layer keeps the fixture
# near 14 KB (a second would add 192 weights and their gradients); ModelTests checks two layers'
# gradients against finite differences.
SEED = 1337         # torch.manual_seed for the weights
VOCAB = " ->EOR"    # the characters in id order; BOS is id len(VOCAB), as in Tokenizer
N_EMBD = 4          # C
N_HEAD = 2          # H, so D = 2
N_LAYER = 1         # one block: attention and MLP
BLOCK_SIZE = 14     # the prompt gets 14 - 7 = 7 tokens (room for the longest label, WARNING): all of "RE"
INIT_STD = 0.08     # GPTConfig.initStd
MESSAGE = "RE"
LABEL = "ERROR"
MESSAGE_WEIGHT = 0.25  # message targets weigh 0.25 and label targets 1: both parts move the loss

OUTPUT = Path(__file__).resolve().parent.parent / "Tests/GPTTests/Fixtures/pytorch_tiny_gpt.json"
torch.set_default_dtype(torch.float64)


# The document
def document():
    """Token ids of [BOS] + message + " -> " + label + [BOS] and the index of the label's first
    token. The message fits the block, so nothing is cut (Document.fitPrompt); the Swift test
    checks that Document builds the same tokens."""
    bos = len(VOCAB)
    prompt = [bos] + [VOCAB.index(ch) for ch in MESSAGE + " -> "]
    assert len(prompt) <= BLOCK_SIZE - len("WARNING"), "the message would be cut; shorten it"
    tokens = prompt + [VOCAB.index(ch) for ch in LABEL] + [bos]
    return tokens, len(prompt)


# The weights
def matrix_shapes():
    """Name and [rows, cols] of every weight matrix in checkpoint order (GPT.matrixShapes)."""
    v, c = len(VOCAB) + 1, N_EMBD
    shapes = [("wte", (v, c)), ("wpe", (BLOCK_SIZE, c))]
    for i in range(N_LAYER):
        shapes += [(f"layer{i}.attn_wq", (c, c)), (f"layer{i}.attn_wk", (c, c)), (f"layer{i}.attn_wv", (c, c)),
                   (f"layer{i}.attn_wo", (c, c)), (f"layer{i}.mlp_fc1", (4 * c, c)), (f"layer{i}.mlp_fc2", (c, 4 * c))]
    return shapes + [("lm_head", (v, c))]


def initial_weights():
    """Gaussian weights of std INIT_STD from torch's seeded generator, rounded to 4 decimals so the
    fixture stays short: Swift and Python read "-0.0713" as the same float64, so both sides start
    from exactly the same numbers."""
    torch.manual_seed(SEED)
    weights = {}
    for name, shape in matrix_shapes():
        w = torch.randn(shape) * INIT_STD
        weights[name] = (torch.round(w * 1e4) / 1e4).requires_grad_()
    return weights


# The model
def rmsnorm(x):
    """x / sqrt(mean(x^2) + 1e-5) over the last dimension, with no gain (Tape.rmsnorm)."""
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + 1e-5)


def linear(w, x):
    """W x for each row of x, with W of shape [out, in] and no bias."""
    return x @ w.T


def attention(x, w, i):
    """Multi-head causal self-attention, scores scaled by 1 / sqrt(D): (T, C) -> (T, C)."""
    t, c = x.shape
    d = c // N_HEAD
    q = linear(w[f"layer{i}.attn_wq"], x).view(t, N_HEAD, d).transpose(0, 1)  # (H, T, D)
    k = linear(w[f"layer{i}.attn_wk"], x).view(t, N_HEAD, d).transpose(0, 1)  # (H, T, D)
    v = linear(w[f"layer{i}.attn_wv"], x).view(t, N_HEAD, d).transpose(0, 1)  # (H, T, D)
    scores = (q @ k.transpose(1, 2)) / math.sqrt(d)  # (H, T, T)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    weights = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)  # (H, T, T)
    heads = (weights @ v).transpose(0, 1).reshape(t, c)  # (T, C): H heads of D, side by side
    return linear(w[f"layer{i}.attn_wo"], heads)


def mlp(x, w, i):
    """fc2(relu(fc1(x))), 4x wide: (T, C) -> (T, C)."""
    return linear(w[f"layer{i}.mlp_fc2"], torch.relu(linear(w[f"layer{i}.mlp_fc1"], x)))


def gpt(tokens, w):
    """Logits for the next token at every position: (T) -> (T, V)."""
    x = rmsnorm(w["wte"][tokens] + w["wpe"][: len(tokens)])  # (T, C)
    for i in range(N_LAYER):
        x = x + attention(rmsnorm(x), w, i)
        x = x + mlp(rmsnorm(x), w, i)
    return linear(w["lm_head"], x)  # (T, V)


def loss(logits, targets, label_start, message_weight):
    """The weighted mean cross-entropy of GPT.loss(of:messageWeight:): the target at index j of
    the document weighs 1 from the label on (j >= label_start) and message_weight before."""
    per_position = torch.nn.functional.cross_entropy(logits, targets, reduction="none")  # (T)
    weights = torch.tensor([1.0 if j >= label_start else message_weight for j in range(1, len(targets) + 1)])
    return (weights * per_position).sum() / weights.sum()


# The fixture
def number(x):
    """A float64 in full precision: repr gives the shortest text that reads back as the same bits."""
    return repr(float(x))


def rows(matrix, indent):
    """A matrix as JSON, one row per line so a diff shows which rows changed."""
    lines = ["[" + ", ".join(number(x) for x in row) + "]" for row in matrix.tolist()]
    inner = " " * (indent + 2)
    return f"[\n{inner}" + f",\n{inner}".join(lines) + "\n" + " " * indent + "]"


def section(tensors):
    """{name: matrix} as JSON in checkpoint order."""
    return "{\n" + ",\n".join(f'    "{name}": {rows(m, 4)}' for name, m in tensors.items()) + "\n  }"


def main():
    tokens, label_start = document()
    weights = initial_weights()
    inputs, targets = torch.tensor(tokens[:-1]), torch.tensor(tokens[1:])
    logits = gpt(inputs, weights)
    plain = loss(logits, targets, label_start, 1.0)
    weighted = loss(logits, targets, label_start, MESSAGE_WEIGHT)
    weighted.backward()

    config = {"vocab_size": len(VOCAB) + 1, "n_embd": N_EMBD, "n_head": N_HEAD, "n_layer": N_LAYER,
              "block_size": BLOCK_SIZE, "init_std": INIT_STD}
    header = {
        "about": "Written by scripts/pytorch_reference.py; do not edit. What PyTorch float64 computes for "
                 "the model of Sources/GPT/Model/GPT.swift with these weights on this document.",
        "torch_version": torch.__version__,
        "torch_manual_seed": SEED,
        "config": config,
        "vocab": VOCAB,
        "message": MESSAGE,
        "label": LABEL,
        "tokens": tokens,
        "label_start": label_start,
        "message_weight": MESSAGE_WEIGHT,
    }
    parts = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in header.items()]
    parts += [
        f'  "loss": {number(weighted.item())}',
        f'  "loss_message_weight_1": {number(plain.item())}',
        f'  "logits": {rows(logits.detach(), 2)}',
        f'  "weights": {section({name: w.detach() for name, w in weights.items()})}',
        f'  "grads": {section({name: w.grad for name, w in weights.items()})}',
    ]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("{\n" + ",\n".join(parts) + "\n}\n")
    json.loads(OUTPUT.read_text())  # the hand-written JSON must parse
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes): loss {number(weighted.item())} "
          f"(message weight {MESSAGE_WEIGHT}), {number(plain.item())} (message weight 1), torch {torch.__version__}")


if __name__ == "__main__":
    main()
