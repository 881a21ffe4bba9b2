"""The app's icons: SVG path data on a 24x24 grid, stroked in the current text colour.

Drawn for Echo Me (simple strokes); the `icon` macro in templates/macros/ui.html wraps them."""

from __future__ import annotations

ICONS: dict[str, str] = {
    "logo": (
        '<circle cx="7.5" cy="12" r="2.6" fill="currentColor" stroke="none"/>'
        '<path d="M12 8.2a5.4 5.4 0 0 1 0 7.6"/><path d="M15.6 4.8a10.2 10.2 0 0 1 0 14.4"/>'
    ),
    "home": '<path d="M4 11 12 4.5l8 6.5"/><path d="M6 9.5V19h12V9.5"/><path d="M10 19v-5h4v5"/>',
    "persona": '<circle cx="12" cy="8" r="3.6"/><path d="M5 20c.8-3.7 3.6-5.6 7-5.6s6.2 1.9 7 5.6"/>',
    "voice": '<path d="M4 10.5v3M8 7.5v9M12 4.5v15M16 8.5v7M20 11v2"/>',
    "catalog": '<path d="M4 7.6 12 4l8 3.6v8.8L12 20l-8-3.6z"/><path d="M4 7.6 12 11l8-3.4M12 11v9"/>',
    "conversations": (
        '<path d="M3.5 5h11v8H8.5l-3 2.8V13h-2z"/><path d="M14.5 9h6v8h-2v2.8l-3-2.8h-4.5v-2"/>'
    ),
    "chat": '<path d="M4.5 5h15v10.5H10l-4.5 3.8v-3.8h-1z"/><path d="M9 10.3h.01M12 10.3h.01M15 10.3h.01"/>',
    "channels": (
        '<path d="M9 3.5v4.5M15 3.5v4.5"/><path d="M6 8h12v3.2a6 6 0 0 1-12 0z"/><path d="M12 17.2V21"/>'
    ),
    "settings": (
        '<path d="M4 7h8.5M17.5 7H20M4 17h2.5M11.5 17H20"/><circle cx="15" cy="7" r="2.3"/>'
        '<circle cx="9" cy="17" r="2.3"/>'
    ),
    "account": (
        '<circle cx="12" cy="12" r="8.5"/><circle cx="12" cy="10" r="2.9"/>'
        '<path d="M6.6 18.1c1.3-2.1 3.1-3.2 5.4-3.2s4.1 1.1 5.4 3.2"/>'
    ),
    "check": '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "chevron-down": '<path d="m7 10 5 5 5-5"/>',
    "arrow-right": '<path d="M5 12h14M13 6l6 6-6 6"/>',
    "menu": '<path d="M4 7h16M4 12h16M4 17h16"/>',
    "close": '<path d="M6 6l12 12M18 6 6 18"/>',
    "sign-out": '<path d="M10 4.5H5v15h5"/><path d="m14.5 8 4 4-4 4M18.5 12H9"/>',
    "sun": (
        '<circle cx="12" cy="12" r="3.8"/><path d="M12 2.5v2M12 19.5v2M2.5 12h2M19.5 12h2'
        'M5.3 5.3l1.4 1.4M17.3 17.3l1.4 1.4M5.3 18.7l1.4-1.4M17.3 6.7l1.4-1.4"/>'
    ),
    "moon": '<path d="M19.5 14.6A7.8 7.8 0 0 1 9.4 4.5a7.8 7.8 0 1 0 10.1 10.1z"/>',
    "auto": '<circle cx="12" cy="12" r="8"/><path d="M12 4a8 8 0 0 1 0 16z" fill="currentColor"/>',
    "alert": '<circle cx="12" cy="12" r="8.5"/><path d="M12 7.8v5M12 16.2h.01"/>',
    "info": '<circle cx="12" cy="12" r="8.5"/><path d="M12 11v5M12 7.8h.01"/>',
    "lock": (
        '<rect x="5" y="10.5" width="14" height="9.5" rx="2"/><path d="M8.5 10.5V8a3.5 3.5 0 0 1 7 0v2.5"/>'
    ),
    "monitor": '<rect x="3.5" y="4.5" width="17" height="11.5" rx="1.5"/><path d="M9 20h6M12 16v4"/>',
    "shield": (
        '<path d="M12 3.5 5 6.5v5c0 4.3 2.9 7.6 7 9 4.1-1.4 7-4.7 7-9v-5z"/><path d="m9 12 2.2 2.2L15.5 10"/>'
    ),
    "sparkle": '<path d="M12 4v4M12 16v4M4 12h4M16 12h4"/><path d="m7 7 2 2M15 15l2 2M7 17l2-2M15 9l2-2"/>',
    "play": '<path d="M8 5.5v13l10.5-6.5z"/>',
    "search": '<circle cx="10.5" cy="10.5" r="6"/><path d="m15 15 5 5"/>',
    "upload": '<path d="M12 15.5V4.5M7.5 9 12 4.5 16.5 9"/><path d="M4.5 15v4.5h15V15"/>',
    "trash": (
        '<path d="M4.5 7h15M9.5 7V4.5h5V7"/><path d="M6.5 7l1 12.5h9l1-12.5"/><path d="M10 11v5M14 11v5"/>'
    ),
}
