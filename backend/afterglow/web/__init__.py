"""Serving the patient app (pwa/): static files with their cache policy and security headers."""

from afterglow.web.routes import pwa_router

__all__ = ["pwa_router"]
