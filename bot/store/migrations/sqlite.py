"""The SQLite schema as numbered, named migrations: the Nth entry is migration N, applied in
order and recorded by `SqliteStore` (PRAGMA user_version and the `schema_migrations` table).
A schema change is a new entry at the end; entries are never edited."""

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "profiles and counters",
        """
    CREATE TABLE profiles (
        chat_id INTEGER PRIMARY KEY,
        role TEXT,
        grade TEXT,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE counters (
        day TEXT NOT NULL,
        name TEXT NOT NULL,
        value INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, name)
    );
    CREATE TABLE feedback (
        doc_id TEXT NOT NULL,
        section TEXT NOT NULL,
        up INTEGER NOT NULL DEFAULT 0,
        down INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (doc_id, section)
    );
    """,
    ),
    (
        "reminders: subscriptions, outbox, acknowledgements, broadcasts",
        """
    ALTER TABLE profiles ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE subscriptions (
        chat_id INTEGER NOT NULL,
        topic TEXT NOT NULL,
        PRIMARY KEY (chat_id, topic)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        reminder_id TEXT NOT NULL,
        occurrence TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        lang TEXT NOT NULL,
        ack INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        error TEXT,
        sent_at TEXT,
        UNIQUE (reminder_id, occurrence, chat_id)
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE TABLE acknowledgements (
        reminder_id TEXT NOT NULL,
        occurrence TEXT NOT NULL,
        chat_id INTEGER NOT NULL,
        audience TEXT NOT NULL,
        PRIMARY KEY (reminder_id, occurrence, chat_id)
    );
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft'
    );
    """,
    ),
    (
        "outbox leases: a row is claimed by one sender until its lease ends",
        """
    ALTER TABLE outbox ADD COLUMN lease_until REAL;
    ALTER TABLE outbox ADD COLUMN worker TEXT;
    CREATE INDEX outbox_lease ON outbox (status, lease_until);
    """,
    ),
    (
        "identities: a (channel, external id) maps to an internal chat id",
        """
    CREATE TABLE identities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        external_id TEXT NOT NULL,
        chat_id INTEGER,
        created_at TEXT NOT NULL,
        UNIQUE (channel, external_id)
    );
    CREATE INDEX identities_chat ON identities (chat_id);
    """,
    ),
    (
        "outbox channel: each row names the channel that delivers it (existing rows: telegram)",
        """
    ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
    CREATE INDEX outbox_channel_due ON outbox (channel, status, next_attempt_at);
    """,
    ),
)
