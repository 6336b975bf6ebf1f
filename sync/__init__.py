"""The wire, both ends: protocol models, the device's sync client, the HQ server (design §2, §5)."""
