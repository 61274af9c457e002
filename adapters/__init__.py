"""Partner adapters: read a partner's native export into canonical signals (identifiers in
clear, inside the partner's network only), ready to be normalised, pseudonymised and sealed."""
