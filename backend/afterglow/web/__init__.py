"""Serving the patient app (pwa/): static files with their cache policy and security headers."""

from afterglow.web.routes import SKIP_COMPRESSION, pwa_router

__all__ = ["SKIP_COMPRESSION", "pwa_router"]
