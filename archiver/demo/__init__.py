"""The bundled demo recap site."""
