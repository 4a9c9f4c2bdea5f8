"""Stage 4, the engine: the model compiled to SQLGlot expressions with exact fixed-point arithmetic,
records aggregated, the plan run on DuckDB (or Spark); the outputs wait in the session."""
