"""The one public entry of Zhibu."""
