"""Fast tests: no real model, no server, no browser; ``make check`` runs them (seconds)."""
