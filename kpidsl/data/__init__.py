"""Stage 3, the data: fact files read in Python (CSV, XLSX, JSON, Parquet; long and wide), their
periods, the roster, and the index of which fact values exist."""
