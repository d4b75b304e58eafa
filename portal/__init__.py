"""Bon Voisin portal: the shell, shared infrastructure, home, people and admin."""
