"""The four Zhibu services; each has the same files doing the same jobs (DESIGN.md)."""
