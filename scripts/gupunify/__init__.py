"""gup-unify: migrate a kernel tree to the flag-based get_user_pages API."""
