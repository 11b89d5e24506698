"""Google Drive extractor: save a sheet of the "Opportunities" spreadsheet to out/gdrive/.

The spreadsheet is a CSV literal here, so the example needs no Google account.
"""

import argparse
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "gdrive"

SHEETS = {
    "User levels": """\
email,level,commission_rate
jana.novakova@example.com,Senior,0.08
tom.becker@example.com,Junior,0.05
priya.shah@example.com,Lead,0.10
""",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheet", required=True, help="sheet name, e.g. 'User levels'")
    sheet = parser.parse_args().sheet
    if sheet not in SHEETS:
        sys.exit(f"extract_gdrive: no sheet {sheet!r}; sheets: {', '.join(SHEETS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / (sheet.lower().replace(" ", "_") + ".csv")
    path.write_text(SHEETS[sheet])
    rows = SHEETS[sheet].count("\n") - 1
    print(f"extract_gdrive: wrote out/gdrive/{path.name} ({rows} rows) from sheet {sheet!r}")


if __name__ == "__main__":
    main()
