"""Web Push: devices that accept notifications, the VAPID identity, and delivering queued messages."""
