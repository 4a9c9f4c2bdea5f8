"""The language server (`kpidsl lsp`): the checker, the AST's spans and the formatter in an editor.

Built on pygls (the optional extra `kpidsl[lsp]`); only `server.py` imports pygls, the
other modules speak lsprotocol's types and go through the facade and the language stage.
"""
