"""What HQ does, whatever asks: push, pull, reference data, users and devices, photos, audit. Raises HqError."""
