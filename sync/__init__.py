"""The wire and the device end: protocol models, the device's sync client, its credentials; sync/hq is HQ."""
