"""Device keys, envelope signatures and sealing of citizen data (libsodium through PyNaCl)."""
