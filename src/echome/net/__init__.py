"""Outbound network access: where server-side fetches may connect (`egress`) and the gateway that
makes fetchers such as yt-dlp go only there (`gateway`)."""
