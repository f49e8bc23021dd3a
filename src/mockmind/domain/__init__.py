"""Pure domain logic: no I/O libraries are imported below this package."""
