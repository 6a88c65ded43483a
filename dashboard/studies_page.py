"""The Studies page as Streamlit runs it (``st.Page`` takes a script): the worklist of
:mod:`dashboard.worklist`."""
from dashboard import worklist

worklist.render()
