"""Step two: the branch cut into per-maintainer patch series with cover letters, recipients
and the order they apply in, one atomic patch, and b4 prep branches (make series, make b4)."""
