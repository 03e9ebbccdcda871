"""Split a labelled log file (`<message> -> LABEL` per line) so that no test message occurs in training.

The split is over distinct messages, not lines: every copy of a message goes to the same side, so a
test score says how well a model does on messages it has never seen (the hard case for real logs).

    python3 scripts/disjoint_split.py LOGS.txt --seed 1 --test 0.2 --out-dir /tmp/split
    # writes /tmp/split/train.txt and /tmp/split/test.txt, and prints the counts

Then `gpt train --data /tmp/split/train.txt` and `gpt eval --data /tmp/split/test.txt`, beside
`python3 scripts/tfidf_baseline.py --train /tmp/split/train.txt --test /tmp/split/test.txt`.
"""

import argparse
import os
import random
import sys
from collections import Counter

LABELS = ("INFO", "WARNING", "ERROR")


def read(path):
    """(message, label) per dataset line; the label follows the last ' -> ', as the dataset reader reads it."""
    examples = []
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle.read().splitlines(), 1):
            if not line.strip():
                continue
            message, arrow, label = line.rpartition(" -> ")
            if not arrow or label.strip() not in LABELS or not message.strip():
                sys.exit(f"{path}:{number}: not a dataset line '<message> -> INFO|WARNING|ERROR': {line[:80]!r}")
            examples.append((message, label.strip()))
    return examples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--test", type=float, default=0.2, help="share of distinct messages held out (default 0.2)")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    examples = read(args.data)
    messages = sorted({message for message, _ in examples})
    random.Random(args.seed).shuffle(messages)
    held = set(messages[: round(len(messages) * args.test)])
    train = [e for e in examples if e[0] not in held]
    test = [e for e in examples if e[0] in held]
    os.makedirs(args.out_dir, exist_ok=True)
    for name, part in (("train", train), ("test", test)):
        with open(os.path.join(args.out_dir, name + ".txt"), "w", encoding="utf-8") as handle:
            handle.writelines(f"{message} -> {label}\n" for message, label in part)
    assert not {m for m, _ in train} & {m for m, _ in test}
    for name, part in (("train", train), ("test", test)):
        counts = Counter(label for _, label in part)
        print(f"{name}: {len(part)} lines, {len({m for m, _ in part})} distinct messages, "
              + ", ".join(f"{label} {counts[label]}" for label in LABELS))


if __name__ == "__main__":
    main()
