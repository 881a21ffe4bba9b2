"""Who the seller is: media → transcript → measured traits → profile (with versions)."""
