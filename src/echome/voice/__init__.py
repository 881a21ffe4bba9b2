"""How the seller sounds: voice building (local transform or cloud clone) and speech."""
