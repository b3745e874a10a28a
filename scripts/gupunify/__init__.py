"""gup-unify: migrate a kernel tree to the flag-based get_user_pages API."""
import os

# gup-unify's own checkout: cocci/, patches/, boottest/, and where series/
# and reports/ go by default.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
