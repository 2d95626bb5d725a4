"""The members service: people, the development procedure, transfers, points, reviews."""
