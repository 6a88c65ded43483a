"""The command line, ``python -m ecg_lstm``: :mod:`.main` (the parser and ``analyze``),
:mod:`.options` (the record options and argument checks every subcommand shares),
:mod:`.batch` and :mod:`.explain` (their subcommands). The last stage of the library:
nothing else imports it.
"""
