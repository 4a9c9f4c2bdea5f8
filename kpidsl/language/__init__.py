"""Stage 1, the language: the grammar loaded once, the parser, the typed AST, imports, the canonical
formatter, exact constants, built-in functions and units."""
