"""The compose stack, validated offline with the real Compose binary."""
