"""The .orch grammar, shipped inside the wheel as the package ``orchdsl._grammar``."""
