"""Stage 5, the results: the engine's rows assembled into `Results` with the reasons behind every
unknown, the derivation `explain` prints, and the analysis text of the reports."""
