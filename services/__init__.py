"""The Zhibu services; each has the same files doing the same jobs (docs/architecture.md)."""
