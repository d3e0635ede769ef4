"""Browser tests: the Airflow UI in headless Chromium against a local Airflow and the Flat emulator."""
