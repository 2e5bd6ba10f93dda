"""The limits of what people type, each declared once.

The operations enforce them (after trimming whitespace), the database columns are sized
by them, and the app takes them from here: its API schemas use the `Annotated` types
below, so `/openapi.json` and `/docs` state the limits the server applies, and its
pages' inputs get their `maxlength` from the same numbers.

```python
class ThreadIn(Input):
    title: Title | None = None   # maxLength 200 in the OpenAPI schema, as in rename_thread
```
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

MAX_EMAIL = 320
"""An email address (RFC 5321's 64 + 1 + 255, rounded as everyone does)."""
MIN_PASSWORD = 8
"""NIST 800-63B's minimum for a password chosen by its user."""
MAX_PASSWORD = 128
"""Long enough for any passphrase, short enough that argon2 never hashes a megabyte."""
MAX_ADDRESS = 64
"""A client address as stored with a session (an IPv6 address with a zone fits)."""
MAX_DISPLAY_NAME = 100
"""The name shown for a user."""
MAX_TOKEN_NAME = 100
"""What an API token is for."""
MAX_INVITE_NOTE = 100
"""Whom an invite link is for, as an administrator notes it."""
DEFAULT_INVITE_DAYS = 7
"""How long an invite link works when the administrator does not say."""
MAX_INVITE_DAYS = 30
"""The longest an invite link may work: a forgotten link should not open the site."""
MAX_TITLE = 200
"""A thread's title."""
MAX_INSTRUCTIONS = 20_000
"""A thread's instructions to the model."""
MAX_CONTENT = 32_000
"""One message a user posts."""
MAX_QUERY = 200
"""A search of the user's threads."""
MAX_MODEL_ID = 100
"""A model's id in the catalog (what threads store and requests name)."""
MAX_TEMPERATURE = 2.0
"""Sampling temperature, from 0 (the providers' common range)."""

Email = Annotated[str, StringConstraints(max_length=MAX_EMAIL)]
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD)]
"""Only the upper bound: the policy (length, common passwords) is the operation's, with
its own messages."""
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DISPLAY_NAME)]
TokenName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_NAME)]
InviteNote = Annotated[str, StringConstraints(max_length=MAX_INVITE_NOTE)]
InviteDays = Annotated[int, Field(ge=1, le=MAX_INVITE_DAYS)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE)]
Instructions = Annotated[str, StringConstraints(max_length=MAX_INSTRUCTIONS)]
"""An empty string removes a thread's instructions."""
Content = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONTENT)]
Query = Annotated[str, StringConstraints(max_length=MAX_QUERY)]
ModelId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MODEL_ID)]
Temperature = Annotated[float, Field(ge=0, le=MAX_TEMPERATURE)]

# Imports and exports (`py_core.portability`): what one upload may hold.
MAX_IMPORT_BYTES = 512 * 1024 * 1024
"""An uploaded file (a `conversations.json` or a whole export zip); larger is 413.
ChatGPT's exports of heavy users run to a few hundred megabytes."""
MAX_IMPORT_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
"""What the members of an uploaded zip may add up to once unpacked (a zip bomb
declares, or unpacks to, far more)."""
MAX_IMPORT_ZIP_RATIO = 200
"""How many times its packed size a zip member may unpack to; JSON packs 5 to 20 times,
a zip bomb a thousand times and more."""
MAX_IMPORT_MESSAGES = 50_000
"""Messages in one imported conversation."""
MAX_IMPORTED_TEXT = 1_000_000
"""Characters of one imported message; longer ones are cut, with a note. (Not
`MAX_CONTENT`: that is what a person types, and replies are often longer.)"""
MAX_UNFINISHED_JOBS = 3
"""Exports and imports one user may have queued or running at once."""
MAX_IMPORT_ZIP_MEMBERS = 100_000
"""Files in an uploaded zip (our own export holds one per thread)."""
