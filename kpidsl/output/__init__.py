"""Stage 6, the outputs: reports rendered in a sandbox (HTML, Markdown, XLSX), exports (text, JSON,
CSV), bulk writers streaming from DuckDB, locale formatting, and writing files safely."""
