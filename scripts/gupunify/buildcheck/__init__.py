"""Step three: every step of the series built on every arch it touches, and the warnings
each step adds (make check)."""
