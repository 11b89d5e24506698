"""Write the model card (what it predicts, its inputs and holdout metrics) to out/reports/."""

import argparse

from common import OUT, read_json


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    name = parser.parse_args().model
    model = read_json(OUT / "model" / f"{name}.json")
    metrics = model["metrics"]
    lines = [
        f"# Model card: {name}",
        "",
        "Predicts the probability that a customer cancels after the usage window.",
        "",
        "| feature | weight (standardized) |",
        "|---|---|",
        *(f"| {f} | {w:+.3f} |" for f, w in zip(model["features"], model["weights"])),
        "",
        f"Holdout: {metrics['holdout_rows']} customers, AUC {metrics['auc']:.3f}, "
        f"accuracy {metrics['accuracy']:.3f} (trained on {metrics['train_rows']}).",
    ]
    path = OUT / "reports" / f"model_card_{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print(f"model_card: wrote out/reports/{path.name}")


if __name__ == "__main__":
    main()
