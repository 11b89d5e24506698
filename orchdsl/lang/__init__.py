"""The language: source text, its lexical elements, the grammar (``orch.lark``), the parser and
its typed syntax tree, syntax errors in plain words, and the one ``Diagnostic`` type every
stage reports with (docs/language.md)."""
