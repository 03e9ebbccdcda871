"""The practitioner's baseline for log levels: TF-IDF over character 2-5-grams and logistic regression.

    python3 -m venv /tmp/venv-sk && /tmp/venv-sk/bin/pip install scikit-learn
    /tmp/venv-sk/bin/python scripts/tfidf_baseline.py --train train.txt --test test.txt [--json]

Prints accuracy, macro-F1, log-loss and expected calibration error (15 bins, as `gpt eval` computes
them) on the test lines, and a bootstrap 95% interval of the macro-F1 (1,000 resamples), so that it
reads beside `gpt eval --data test.txt` on the same lines. Not part of CI.
"""

import argparse
import json
import math
import random

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from disjoint_split import LABELS, read


def calibration(actual, probabilities, bins=15):
    """Log-loss (probabilities below 1e-15 count as 1e-15) and ECE over the top probability, as gpt eval."""
    loss, count, right, confidence = 0.0, [0] * bins, [0] * bins, [0.0] * bins
    for label, row in zip(actual, probabilities):
        loss -= math.log(max(row[LABELS.index(label)], 1e-15))
        top = max(range(len(LABELS)), key=lambda i: row[i])
        b = min(bins - 1, int(row[top] * bins))
        count[b] += 1
        confidence[b] += row[top]
        right[b] += LABELS[top] == label
    return loss / len(actual), sum(abs(right[b] - confidence[b]) for b in range(bins)) / len(actual)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    train, test = read(args.train), read(args.test)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)
    features = vectorizer.fit_transform([m for m, _ in train])
    model = LogisticRegression(max_iter=2000, C=10.0, random_state=args.seed)
    model.fit(features, [l for _, l in train])
    raw = model.predict_proba(vectorizer.transform([m for m, _ in test]))
    order = [list(model.classes_).index(label) if label in model.classes_ else None for label in LABELS]
    probabilities = [[row[i] if i is not None else 0.0 for i in order] for row in raw]
    predicted = [LABELS[max(range(3), key=lambda i: row[i])] for row in probabilities]
    actual = [l for _, l in test]
    present = [label for label in LABELS if label in actual]
    macro = f1_score(actual, predicted, labels=present, average="macro", zero_division=0)
    rng = random.Random(args.seed)
    resampled = []
    for _ in range(1000):
        picks = [rng.randrange(len(actual)) for _ in actual]
        a, p = [actual[i] for i in picks], [predicted[i] for i in picks]
        resampled.append(f1_score(a, p, labels=[l for l in LABELS if l in a], average="macro", zero_division=0))
    resampled.sort()
    loss, ece = calibration(actual, probabilities)
    result = {"lines": len(test), "accuracy": accuracy_score(actual, predicted), "macro_f1": macro,
              "macro_f1_95": [resampled[25], resampled[974]], "log_loss": loss, "expected_calibration_error": ece}
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"TF-IDF char 2-5-grams + logistic regression on {len(test)} lines: accuracy {100 * result['accuracy']:.2f}%   "
              f"macro-F1 {macro:.4f} (95% {resampled[25]:.4f} to {resampled[974]:.4f})   log-loss {loss:.4f}   ECE {ece:.4f}")


if __name__ == "__main__":
    main()
