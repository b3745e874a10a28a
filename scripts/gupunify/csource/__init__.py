"""C source as the conversion sees it: bytes read without loss, tokens, the sites of the old
API, what each flag argument idiom becomes, the lines a conversion touched and the names it
left stale. Below every job that reads or rewrites callers."""
