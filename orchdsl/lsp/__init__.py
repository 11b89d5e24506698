"""The language server, ``orchdsl lsp`` (docs/editors.md): the editor's side of parse, check
and format. It needs pygls and lsprotocol (the ``lsp`` extra); nothing else in orchdsl imports
this package.

``server`` wires LSP messages to the ``session`` (open ``documents``, their ``analysis`` on a
worker thread); the features are ``diagnostics`` (with quick fixes), ``hover``, ``completion``
(on ``context``, the cursor read from the text, and ``names``), ``navigation`` and ``rename`` (on
``occurrences``), ``symbols``, and formatting (``features``); ``positions`` converts orchdsl's
code-point columns to LSP's UTF-16 ones and back.
"""
