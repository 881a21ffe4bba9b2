"""The seller in the loop: when the persona should not answer alone (the customer asks for a person,
nothing in the catalog answers, the guardrail had to cut a fact, a discount / custom order /
complaint, a rule of the seller's), the conversation is handed to the seller.

A conversation is in one of three states (`conversations.state`):

    persona ──handoff──▶ waiting ──claim──▶ seller
       ▲                   │  │               │
       └──── release / send draft ◀──────────┘

Not in "persona" means the persona never answers: each further customer message is recorded, the
seller is told, and the customer gets at most one short, honest acknowledgement per burst.

Modules: `triggers` (one turn → a decision), `vocabulary` (the phrases per intent and language),
`rules` (the seller's own rules, validated), `settings` (a persona's `chat_settings`), `texts`
(what the customer and the seller are told), `events` (the live feed), `desk` (the answer
pipeline's part), `actions` (what the seller does), `jobs` (notify, deliver, timeouts, resume),
`link` (the seller's own Telegram chat).
"""

STATES = ("persona", "waiting", "seller")
# Channels whose conversations may be handed off: real customers. The seller's own Test chat, the
# command line and evaluations always get the persona's answer.
CUSTOMER_CHANNELS = ("telegram", "web", "api", "email", "whatsapp")

NOTIFY_JOB = "handoff.notify"
DELIVER_JOB = "handoff.deliver"
TIMEOUT_JOB = "handoff.timeout"
RESUME_JOB = "handoff.resume"
JOB_KINDS = (NOTIFY_JOB, DELIVER_JOB, TIMEOUT_JOB, RESUME_JOB)
