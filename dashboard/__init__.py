"""Streamlit dashboard of ecg-lstm: `make dashboard` serves dashboard/app.py."""
