"""The kinds of message that carry a personal secret: a link that logs someone in, sets their password or acts on
their behalf. Declared here, once, for the outbox admin (their bodies are never shown) and the relay (their bodies
are erased once sent; the subject, recipient and dates stay for the trail).

A new kind of message whose body holds a token, a signed link or a set-up link goes in this set
(tests/notifications/test_secrets.py looks for such variables in the templates)."""

SECRET_KINDS: frozenset[str] = frozenset(
    {
        "password_reset",  # a link that sets the account's password (also the account set-up of a new person)
        "slot_offer",  # a signed link that books a slot for the invited doctor in one step
    }
)


def is_secret(kind: str) -> bool:
    return kind in SECRET_KINDS
