"""What to say: the channel-neutral dialogue engine. A channel hands it an incoming message
and gets whole replies back; it imports no channel."""
