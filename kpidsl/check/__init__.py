"""Stage 2, checking: names, types, units, weights and the methodology's lints over a loaded model,
before any data is read."""
