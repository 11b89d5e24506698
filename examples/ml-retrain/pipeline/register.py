"""Register the trained model as the next version in out/registry/<model>/, if it clears --min-auc.

A model below the bar is not registered and the task fails, so nothing downstream deploys it.
"""

import argparse
import sys

from common import OUT, read_json, write_json


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--min-auc", type=float, default=0.7)
    args = parser.parse_args()
    model = read_json(OUT / "model" / f"{args.model}.json")
    auc = model["metrics"]["auc"]
    if auc < args.min_auc:
        sys.exit(f"register: {args.model} has holdout AUC {auc:.3f} < {args.min_auc}; not registered")
    registry = OUT / "registry" / args.model
    version = 1 + sum(1 for _ in registry.glob("v*.json")) if registry.exists() else 1
    path = write_json(registry / f"v{version}.json", {**model, "version": version})
    write_json(registry / "latest.json", {"model": args.model, "version": version, "auc": auc})
    print(f"register: wrote {path} (version {version}, AUC {auc:.3f} >= {args.min_auc})")


if __name__ == "__main__":
    main()
