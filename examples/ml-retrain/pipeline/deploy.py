"""Point a serving stage (production or shadow) at the latest registered version of a model.

The serving config is simulated by out/serving/<stage>.json.
"""

import argparse
import datetime

from common import OUT, read_json, write_json


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--stage", choices=["production", "shadow"], default="production")
    args = parser.parse_args()
    latest = read_json(OUT / "registry" / args.model / "latest.json")
    config = {
        "stage": args.stage,
        "model": args.model,
        "version": latest["version"],
        "artifact": f"registry/{args.model}/v{latest['version']}.json",
        "traffic": "mirror" if args.stage == "shadow" else "serve",
        "deployed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    path = write_json(OUT / "serving" / f"{args.stage}.json", config)
    print(f"deploy: wrote {path} ({args.model} v{latest['version']} to {args.stage})")


if __name__ == "__main__":
    main()
