"""Seller secrets: Fernet encryption at rest with a rotatable master key."""

from echome.secrets.keystore import KeyStore, MasterKeyError, mask

__all__ = ["KeyStore", "MasterKeyError", "mask"]
