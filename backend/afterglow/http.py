"""Typed names for what route handlers receive, so every controller declares them the same way."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from afterglow.accounts.viewer import Viewer
from afterglow.settings import Settings

DB: TypeAlias = NamedDependency[AsyncSession]
"""The request's database session (one per request, shared with the auth middleware)."""
Engine: TypeAlias = NamedDependency[AsyncEngine]
CurrentViewer: TypeAlias = NamedDependency[Viewer]
"""Who is signed in; present on every route that is not marked public."""
AppSettings: TypeAlias = NamedDependency[Settings]
Now: TypeAlias = NamedDependency[datetime]
"""This request's time, from the app's clock (which tests and simulations can set)."""
