"""Planning a run: params, selection, and every task resolved into what runs (docs/language.md)."""
