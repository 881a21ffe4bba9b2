"""Telegram: updates in (webhook or polling, `inbox`), one job per update (`update_job`), answers
out as a voice note with a caption or as text (`deliver`), through the Bot API client (`api`)."""

CHANNEL = "telegram"
TOKEN_PROVIDER = "telegram_bot_token"
JOB_KIND = "telegram.update"
