"""The ground floor: what every stage shares — diagnostics as data, where the shipped files live,
safe looks at paths, progress on stderr, "did you mean"."""
