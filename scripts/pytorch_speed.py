"""Training speed against PyTorch: the table of README.md's performance section, reproducible.

Run by hand, never in CI, after a release build (`swift build -c release --product gpt`):

    python3 -m venv /tmp/venv-torch && /tmp/venv-torch/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl numpy
    /tmp/venv-torch/bin/python scripts/pytorch_speed.py            # --rounds 3 --steps 500 by default

For every config of the table it runs `gpt bench --json` with that config spelled out flag by flag,
then the same model trained in PyTorch, both pinned to one core (`taskset -c 0`), one after the
other, round after round, so the machine's slow and quiet moments fall on both sides alike. It
prints each side's median ms per step and the ratio ours / PyTorch per round and their median.

The PyTorch side is PyTorch at its best on this model: one thread, float64 like our engine (pass
--float32 for single precision), the whole document at once under a causal mask, one document per
step as our trainer does (Sources/GPT/Training/Trainer.swift), Adam with the recipe's settings and
its learning rate falling linearly to 0. The model is scripts/pytorch_reference.py's (which a test
holds equal to Sources/GPT/Model/GPT.swift): the same weight shapes, rmsnorm without gain, ReLU
MLP 4x wide, no biases, init std 0.08, the label-weighted loss. The documents are the lines of the
same data file fitted to the block as Document.fitPrompt does; the split and the visiting order
come from Python's seeded shuffle rather than our generator, so the two sides see lines of the
same length distribution but not the same lines in the same order. Each step's time covers what
ours does: forward, loss, backward, the optimizer's update and clearing the gradients.
Legend: V = vocab_size, C = n_embd, H = n_head, D = C / H, T = positions of the document.
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["INFO", "WARNING", "ERROR"]
SEPARATOR = " -> "

# The configs of the table: (name, n_embd, n_head, n_layer, block_size, learning rate, message weight).
# "original" is `gpt train --original`; the others are the default recipe at other sizes.
CONFIGS = [
    ("original: 24 wide, 1 layer, block 32", 24, 4, 1, 32, 0.01, 1.0),
    ("default: 32 wide, 2 layers, block 96", 32, 4, 2, 96, 0.003, 0.05),
    ("64 wide, 2 layers, block 96", 64, 4, 2, 96, 0.003, 0.05),
    ("32 wide, 4 layers, block 96", 32, 4, 4, 96, 0.003, 0.05),
]


# The data, as Sources/GPT/Dataset and Sources/GPT/Model/Document.swift read it
def read_examples(path):
    """(message, label) of every '<message> -> <LABEL>' line."""
    examples = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        message, sep, label = line.rpartition(SEPARATOR)
        if sep and label in LABELS:
            examples.append((message, label))
    return examples


def documents(examples, block_size, seed):
    """Token ids and label start of each training line: [BOS] + message + " -> " + label + [BOS],
    a long message keeping its start (Document.fitPrompt). 80% of the lines, chosen by a seeded
    shuffle, in a seeded order."""
    vocab = sorted(set("".join(m + SEPARATOR + l for m, l in examples)))
    ids = {ch: i for i, ch in enumerate(vocab)}
    bos = len(vocab)
    room = max(1, block_size - max(len(l) for l in LABELS))
    rng = random.Random(seed)
    lines = examples[:]
    rng.shuffle(lines)
    lines = lines[: len(lines) - 2 * ((len(lines) + 5) // 10)]
    docs = []
    for message, label in lines:
        prompt = [bos] + [ids[c] for c in message][: max(0, room - 1 - len(SEPARATOR))] + [ids[c] for c in SEPARATOR]
        prompt = prompt[-room:]
        docs.append((prompt + [ids[c] for c in label] + [bos], len(prompt)))
    return docs, len(vocab) + 1


# The model, as scripts/pytorch_reference.py writes it
def run_torch(args):
    """Trains for warmup + steps documents and prints the timing of the last `steps` as JSON."""
    import torch

    torch.set_num_threads(1)
    dtype = torch.float32 if args.float32 else torch.float64
    torch.set_default_dtype(dtype)
    torch.manual_seed(args.seed)
    c, h, n_layer, block = args.n_embd, args.n_head, args.n_layer, args.block_size
    docs, vocab_size = documents(read_examples(args.data), block, args.seed)
    shapes = [("wte", (vocab_size, c)), ("wpe", (block, c))]
    for i in range(n_layer):
        shapes += [(f"layer{i}.attn_wq", (c, c)), (f"layer{i}.attn_wk", (c, c)), (f"layer{i}.attn_wv", (c, c)),
                   (f"layer{i}.attn_wo", (c, c)), (f"layer{i}.mlp_fc1", (4 * c, c)), (f"layer{i}.mlp_fc2", (c, 4 * c))]
    shapes.append(("lm_head", (vocab_size, c)))
    w = {name: (torch.randn(shape) * 0.08).requires_grad_() for name, shape in shapes}
    d = c // h

    def rmsnorm(x):
        return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + 1e-5)

    def attention(x, i):  # (T, C) -> (T, C)
        t = x.shape[0]
        q = (x @ w[f"layer{i}.attn_wq"].T).view(t, h, d).transpose(0, 1)  # (H, T, D)
        k = (x @ w[f"layer{i}.attn_wk"].T).view(t, h, d).transpose(0, 1)  # (H, T, D)
        v = (x @ w[f"layer{i}.attn_wv"].T).view(t, h, d).transpose(0, 1)  # (H, T, D)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(d)  # (H, T, T)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        weights = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
        heads = (weights @ v).transpose(0, 1).reshape(t, c)  # (T, C)
        return heads @ w[f"layer{i}.attn_wo"].T

    def gpt(tokens):  # (T) -> (T, V)
        x = rmsnorm(w["wte"][tokens] + w["wpe"][: len(tokens)])
        for i in range(n_layer):
            x = x + attention(rmsnorm(x), i)
            x = x + torch.relu(rmsnorm(x) @ w[f"layer{i}.mlp_fc1"].T) @ w[f"layer{i}.mlp_fc2"].T
        return x @ w["lm_head"].T

    total = args.warmup + args.steps
    optimizer = torch.optim.Adam(list(w.values()), lr=args.lr, betas=(0.85, 0.99), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    rng = random.Random(args.seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    # The tensors of each document are made before its step's clock starts, as ours are read
    # before training starts: the step times the training, not the tokenizer.
    prepared = []
    for step in range(total):
        tokens, label_start = docs[order[step % len(order)]]
        weights = torch.tensor([1.0 if j >= label_start else args.message_weight for j in range(1, len(tokens))])
        prepared.append((torch.tensor(tokens[:-1]), torch.tensor(tokens[1:]), weights, weights.sum()))
    durations = []
    for step, (inputs, targets, weights, weight_sum) in enumerate(prepared):
        start = time.perf_counter()
        logits = gpt(inputs)
        per_position = torch.nn.functional.cross_entropy(logits, targets, reduction="none")  # (T)
        loss = (weights * per_position).sum() / weight_sum
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=False)
        if step >= args.warmup:
            durations.append(time.perf_counter() - start)
    durations.sort()
    print(json.dumps({"ms_per_step_median": durations[len(durations) // 2] * 1000, "steps": len(durations),
                      "torch_version": torch.__version__, "dtype": str(dtype).removeprefix("torch."),
                      "threads": torch.get_num_threads()}))


# The comparison
def pinned(command):
    """The command run on core 0 alone, its JSON output parsed."""
    out = subprocess.run(["taskset", "-c", "0"] + command, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(args):
    gpt = str(ROOT / args.gpt)
    if not Path(gpt).exists():
        sys.exit(f"{gpt} does not exist\nHINT: build it first with `swift build -c release --product gpt`")
    chosen = [c for i, c in enumerate(CONFIGS) if args.configs is None or i in args.configs]
    results = {name: ([], []) for name, *_ in chosen}
    torch_info = None
    for round_number in range(args.rounds):
        for name, c, h, layers, block, lr, message_weight in chosen:
            shape = ["--n-embd", str(c), "--n-head", str(h), "--n-layer", str(layers), "--block-size", str(block),
                     "--lr", str(lr), "--message-weight", str(message_weight), "--steps", str(args.steps),
                     "--warmup", str(args.warmup), "--seed", str(args.seed), "--data", args.data]
            ours = pinned([gpt, "bench", "--json"] + shape)
            theirs = pinned([sys.executable, __file__, "--worker"] + shape + (["--float32"] if args.float32 else []))
            torch_info = theirs
            results[name][0].append(ours["ms_per_step_median"])
            results[name][1].append(theirs["ms_per_step_median"])
            print(f"round {round_number + 1}, {name}: ours {ours['ms_per_step_median']:.3f} ms/step "
                  f"({ours['peak_rss_mb']:.0f} MB peak), PyTorch {theirs['ms_per_step_median']:.3f} ms/step, "
                  f"ratio {ours['ms_per_step_median'] / theirs['ms_per_step_median']:.2f}", file=sys.stderr, flush=True)
    print(f"\nmedian ms per step over {args.steps} steps (after {args.warmup} warm-up), both pinned to core 0, "
          f"{args.rounds} interleaved rounds; PyTorch {torch_info['torch_version']}, {torch_info['dtype']}, "
          f"{torch_info['threads']} thread, whole sequence at once\n")
    print("| config | ours ms/step | PyTorch ms/step | ours / PyTorch |")
    print("| --- | --- | --- | --- |")
    for name, (ours, theirs) in results.items():
        ratios = [a / b for a, b in zip(ours, theirs)]
        per_round = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"| {name} | {statistics.median(ours):.2f} | {statistics.median(theirs):.2f} | "
              f"{statistics.median(ratios):.2f} (rounds: {per_round}) |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every config")
    parser.add_argument("--steps", type=int, default=500, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=20, help="steps run before timing starts")
    parser.add_argument("--configs", type=int, nargs="*", help="indices into the table (0 = original), all by default")
    parser.add_argument("--gpt", default=".build/release/gpt", help="the release binary, relative to the package")
    parser.add_argument("--data", default="Dataset/logs_5000.txt")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--float32", action="store_true", help="PyTorch in single precision (ours is always float64)")
    # The worker: one PyTorch run of one config, as the comparison starts it.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for flag, kind in [("--n-embd", int), ("--n-head", int), ("--n-layer", int), ("--block-size", int),
                       ("--lr", float), ("--message-weight", float)]:
        parser.add_argument(flag, type=kind, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.data = str(ROOT / args.data) if not os.path.isabs(args.data) else args.data
        run_torch(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
