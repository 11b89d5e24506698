"""Tableau writer: publish the prepared table as the "opportunities" data source.

Publishing is simulated by writing out/tableau/opportunities.csv.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "out" / "transform" / "tableau_opportunities.csv"
TARGET = HERE / "out" / "tableau" / "opportunities.csv"


def main():
    if len(sys.argv) > 1:
        sys.exit("usage: write_tableau.py")
    if not SOURCE.exists():
        sys.exit("write_tableau: missing out/transform/tableau_opportunities.csv; run tableau_prep first")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, TARGET)
    rows = sum(1 for _ in TARGET.open()) - 1
    print(f"write_tableau: wrote out/tableau/{TARGET.name} ({rows} rows)")


if __name__ == "__main__":
    main()
