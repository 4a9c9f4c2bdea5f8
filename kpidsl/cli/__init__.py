"""The `kpidsl` command line: the click group (`main`) and one module per command."""
