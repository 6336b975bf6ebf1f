"""The HQ product: database, services, the device API and the `inspector hq` commands."""
