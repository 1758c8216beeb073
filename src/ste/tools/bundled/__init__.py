"""The bundled default toolset (developer utilities); see toolbox.py."""
