"""E001: syntax. Reported by the parser; registered here for its documentation."""

from orchdsl.rules import rule


@rule("E001", "syntax", checked=False)
def syntax(ctx):
    """The file does not follow the grammar of LANGUAGE.md sections 2 and 3: a misspelt
    keyword, a missing brace or quote, an unknown escape in a string, a reserved word used as a
    name, an unknown notify event or overlap/catchup mode.

    The message says what was expected where, in plain words, with a ``did you mean`` hint for
    a misspelt keyword or kind. Only the first syntax error of a file is reported: fix it and
    lint again.

    Bad:
        phase "Extract" {
            task crm extracter run "python extract.py"
        }

    Good:
        phase "Extract" {
            task crm extractor run "python extract.py"
        }
    """
    return ()
