"""Random lesson expressions against PyTorch float64: writes a chapter for `gpt check`.

Chapter 2 invites learners to type their own expressions into `step backward`. This script makes
a few thousand random ones in the lessons' expression language (+ - * / ^, tanh exp log relu,
inputs used more than once, sums of sums, chains such as relu(relu(a))), computes each value and
every input's gradient with PyTorch's float64 autograd, and writes them as the expectations of
`step backward` steps in one chapter. `gpt check` then holds our engine to PyTorch on every one.

Run by hand, never in CI (it needs torch):

    python3 -m venv .venv && .venv/bin/pip install torch numpy
    .venv/bin/python scripts/pytorch_expressions.py --count 2000 --seed 1 --out /tmp/expressions
    swift run -c release gpt check --lessons /tmp/expressions

Expressions whose values or gradients are not finite, exceed 1e6, or put a relu within 1e-6 of its
kink are skipped: rounding decides those, not the rules.
"""

import argparse
import math
import random
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
INPUTS = ["a", "b", "c"]


def expression(rng, depth):
    """A random expression as (text, function of a dict of tensors)."""
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.8:
            name = rng.choice(INPUTS)
            return name, lambda env, name=name: env[name]
        number = rng.choice([0.5, 1, 2, 3, 1.5, 0.25])
        return str(number), lambda env, number=number: torch.tensor(float(number))
    kind = rng.choice(["+", "-", "*", "/", "neg", "pow", "tanh", "exp", "log", "relu", "relu", "sum"])
    if kind in "+-*/":
        (left, f), (right, g) = expression(rng, depth - 1), expression(rng, depth - 1)
        ops = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y}
        op = ops[kind]
        return f"({left} {kind} {right})", lambda env: op(f(env), g(env))
    if kind == "sum":  # a sum of sums over the same operand: (x + x) + (x + x)
        inner, f = expression(rng, depth - 1)
        return f"(({inner} + {inner}) + ({inner} + {inner}))", lambda env: (f(env) + f(env)) + (f(env) + f(env))
    inner, f = expression(rng, depth - 1)
    if kind == "neg":
        return f"-({inner})", lambda env: -f(env)
    if kind == "pow":
        exponent = rng.choice([2, 3, -1])
        return f"({inner})^{exponent}", lambda env: f(env) ** exponent
    functions = {"tanh": torch.tanh, "exp": torch.exp, "log": torch.log, "relu": torch.relu}
    function = functions[kind]
    if kind == "relu":
        def relu(env):
            x = f(env)
            if abs(x.item()) < 1e-6:
                raise ArithmeticError("near the kink")
            return function(x)
        return f"relu({inner})", relu
    return f"{kind}({inner})", lambda env: function(f(env))


def used_inputs(text):
    """The inputs in order of first appearance, as the lessons list them."""
    found = []
    for i, ch in enumerate(text):
        if ch in INPUTS and (i == 0 or not text[i - 1].isalpha()) and (i + 1 == len(text) or not text[i + 1].isalpha()):
            if ch not in found:
                found.append(ch)
    return found


def tolerance(x):
    return 1e-8 * max(1.0, abs(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    steps = []
    while len(steps) < args.count:
        text, f = expression(rng, args.depth)
        names = used_inputs(text)
        if not names:
            continue
        env = {name: torch.tensor(round(rng.uniform(-2, 2), 4), requires_grad=True) for name in names}
        try:
            out = f(env)
            out.backward()
        except (ArithmeticError, RuntimeError):
            continue
        values = [out.item()] + [env[name].grad.item() for name in names]
        if not all(math.isfinite(v) and abs(v) <= 1e6 for v in values):
            continue
        lines = ["```step backward", f"expr: {text}"]
        lines += [f"{name}: {env[name].item()!r}" for name in names]
        lines += ["graph: false", f"expect out = {out.item()!r} ± {tolerance(out.item()):.1e}"]
        lines += [f"expect grad.{name} = {env[name].grad.item()!r} ± {tolerance(env[name].grad.item()):.1e}" for name in names]
        lines += ["```", ""]
        steps.append("\n".join(lines))

    args.out.mkdir(parents=True, exist_ok=True)
    header = (f"# Random expressions against PyTorch\n\n{len(steps)} expressions (seed {args.seed}, depth {args.depth}); "
              f"values and gradients from PyTorch {torch.__version__} float64.\n\n")
    (args.out / "01-random-expressions.md").write_text(header + "\n".join(steps))
    print(f"wrote {len(steps)} steps to {args.out / '01-random-expressions.md'}")


if __name__ == "__main__":
    main()
