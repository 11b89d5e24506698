from orchdsl.cli.main import entry

entry()
