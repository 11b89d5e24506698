"""Train a logistic regression churn model on out/features/train.csv.

Plain batch gradient descent on standardized features; customers whose number ends in 0 or 5
form the holdout set. Writes the model and its holdout metrics to out/model/<model>.json.
"""

import argparse
import math

from common import FEATURES, OUT, read_csv, write_json

EPOCHS = 400
LEARNING_RATE = 0.5


def sigmoid(z):
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def standardize(rows):
    columns = list(zip(*rows))
    means = [sum(c) / len(c) for c in columns]
    stds = [math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0 for c, m in zip(columns, means)]
    return means, stds


def fit(xs, ys):
    weights, bias = [0.0] * len(xs[0]), 0.0
    for _ in range(EPOCHS):
        grad_w, grad_b = [0.0] * len(weights), 0.0
        for x, y in zip(xs, ys):
            error = sigmoid(bias + sum(w * v for w, v in zip(weights, x))) - y
            grad_b += error
            grad_w = [g + error * v for g, v in zip(grad_w, x)]
        bias -= LEARNING_RATE * grad_b / len(xs)
        weights = [w - LEARNING_RATE * g / len(xs) for w, g in zip(weights, grad_w)]
    return weights, bias


def auc(scores, ys):
    """The probability that a random churner scores above a random stayer (ties count half)."""
    positives = [s for s, y in zip(scores, ys) if y]
    negatives = [s for s, y in zip(scores, ys) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="model name, e.g. churn")
    name = parser.parse_args().model
    rows = read_csv(OUT / "features" / "train.csv")
    holdout = [row["customer_id"][-1] in "05" for row in rows]
    raw = [[float(row[f]) for f in FEATURES] for row in rows]
    ys = [int(row["churned"]) for row in rows]
    train_raw = [x for x, h in zip(raw, holdout) if not h]
    means, stds = standardize(train_raw)
    xs = [[(v - m) / s for v, m, s in zip(x, means, stds)] for x in raw]
    weights, bias = fit([x for x, h in zip(xs, holdout) if not h], [y for y, h in zip(ys, holdout) if not h])
    test = [(x, y) for x, y, h in zip(xs, ys, holdout) if h]
    scores = [sigmoid(bias + sum(w * v for w, v in zip(weights, x))) for x, _ in test]
    labels = [y for _, y in test]
    accuracy = sum((s >= 0.5) == bool(y) for s, y in zip(scores, labels)) / len(labels)
    model = {
        "model": name,
        "features": FEATURES,
        "means": [round(m, 6) for m in means], "stds": [round(s, 6) for s in stds],
        "weights": [round(w, 6) for w in weights], "bias": round(bias, 6),
        "metrics": {"holdout_rows": len(labels), "auc": round(auc(scores, labels), 4),
                    "accuracy": round(accuracy, 4), "train_rows": len(rows) - len(labels)},
    }
    path = write_json(OUT / "model" / f"{name}.json", model)
    print(f"train: wrote {path} (holdout AUC {model['metrics']['auc']:.3f})")


if __name__ == "__main__":
    main()
