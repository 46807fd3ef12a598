"""One router per area of CONTRACT.md §4."""
