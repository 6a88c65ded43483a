"""Every key the dashboard keeps in ``st.session_state`` (one browser session), with what it
holds and who writes and reads it.

Most of the page passes values from widgets to functions; these keys are what has to outlive
one run of the script, or cross from one part of the page to another that runs apart from it
(the trace and the tabs are a fragment; a widget callback runs before the page is drawn).
``tests/dashboard/test_state.py`` checks that every key the code uses is listed here, and that
every key listed is used.

Widgets whose value only their own code reads (buttons, downloads, most selects) are not
listed; a widget whose value other code reads or sets is (its key is its session-state key).
"""
from __future__ import annotations

#: key -> what it holds (writer -> readers).
KEYS: dict[str, str] = {
    # --- the record shown (dashboard.loading opens it; dashboard.review_session applies corrections)
    "analysis": "The analysis the page shows (ecg_lstm.analyze.Analysis), with the reviewer's corrections "
                "applied (loading, review_session -> every section).",
    "analysis_key": "Cache key of the analysis shown: the record's digest, plus '-r<signature>' once corrected "
                    "(loading, review_session -> cached figures and tables of every section).",
    "source_label": "Where the record came from, e.g. 'upload: 100' (record text: shown escaped) (loading -> app).",
    "model_notes": "Why a model is not available, one sentence each (loading -> overview).",
    "load_error": "(where, message) of the last failed open, shown beside its source: 'upload', 'local' or "
                  "'physionet' (loading, source -> source).",
    "failed_key": "Digest of the upload that failed last: the same files are not analysed again (loading).",
    "upload_seen": "Digest of the uploaded files and sampling rate already acted on: a rerun does not reopen "
                   "them (source).",
    "upload_ids": "Streamlit's ids of the files last taken from the uploader: files given again open again "
                  "(source).",
    "upload_spool": "The upload written to disk (upload_spool.spool: folder, file to read, names) with its "
                    "digest, record stems and corrections file; read again when the sampling rate changes "
                    "(source -> loading).",
    "record_path": "Path of a local record, where its corrections can be saved beside it; None for an upload "
                   "(source -> review).",
    # --- the review of the record's beat labels (ecg_lstm.review keeps the dicts' contents)
    "reviews": "{record key: review dict (ecg_lstm.review.state)}: each record's corrections and undo history, "
               "kept across record switches (review_session -> review, export).",
    "report_strips": "{record key: [(start_s, end_s, caption)]}: strips the technician chose for the report "
                     "(export).",
    "report_disclosure": "The Export tab's full-disclosure switch (widget; export).",
    "record_key": "Digest of the record shown, the same with or without corrections: the key of its review and "
                  "of its event decisions (review_session -> review, events).",
    "analysis_plain": "The analysis of the record as opened, before corrections (review_session -> review).",
    "review_shown_key": "analysis_key of the last run: a different one means a record was just opened "
                        "(review_session).",
    "review_applied": "Signature of the corrections the shown analysis holds; '' for none (review_session).",
    "incoming_corrections": "(bytes, file name) of a .cor file that came with the record just opened, until "
                            "loaded; bytes None for a zip member not unpacked (too large) (source -> "
                            "review_session).",
    "review_note": "A note on the corrections, shown once (review_session -> review.notes in overview, review).",
    "review_error": "Why corrections could not be read or applied, shown once (review_session -> review.notes).",
    "labels_as_shipped": "True: the shipped model's own labels, not those adapted to the record; outlives the "
                         "Review tab's switch (review -> review_session).",
    "review_unsupervised": "The Review tab's switch 'Model adapted to this record' (widget; set from "
                           "labels_as_shipped each run).",
    "labels_adapted": "The rest of the record is relabelled from the reviewed beats (review_session -> overview, "
                      "review).",
    "labels_unsupervised": "The labels shown are the model's adapted to the record without labels "
                           "(review_session -> overview, review).",
    "review_query": "Rows of analysis.beats the system most wants reviewed, as listed (review -> its callbacks).",
    "review_query_table": "Selection in that list (widget; review).",
    # --- the study the record is kept as (dashboard.studies_session; ecg_lstm.studies keeps it)
    "study_id": "Id of the study shown in the study store; absent when the record is not kept (no store) "
                "(studies_session, loading -> review_session, study, export, worklist).",
    "study_version": "The study's version this page last read or wrote: an older one than the store's means "
                     "another session changed it (studies_session).",
    "study_saved": "(corrections, adapted) as last saved: the next save writes the difference "
                   "(studies_session -> review_session).",
    "review_action": "(action, target) of the review change about to be applied, for its audit entry "
                     "(review, review_session -> studies_session).",
    "study_error": "Why the study could not be kept or an action not saved, shown once (studies_session, "
                   "loading -> study, source).",
    "reviewer_name": "The sidebar's Reviewer box: who the audit trail and the report name (widget; source -> "
                     "studies_session).",
    "record_page": "The Record page (st.Page), where the Studies page opens a study (app -> worklist).",
    "study_status": "The Study tab's status choice (widget; set from the store each run).",
    "study_label": "The Study tab's label box (widget; set from the store each run).",
    "worklist_table": "Selection in the Studies page's table (widget; worklist).",
    # --- the selected beat and the trace window
    "selected_beat": "Row of analysis.beats selected (a click on the trace, the review list, the explain panel) "
                     "(trace_view, review, explain -> trace_view, review, explain).",
    "selected_beat_seen": "The selected beat already brought into view once: the window then stays where the "
                          "user moves it (trace_view).",
    "trace_center_s": "Centre of the trace window, s (slider widget; set by loading, the paging buttons, clicks "
                      "in tables, the navigator and the review).",
    "trace_lead": "Lead shown on the trace (widget; trace_view).",
    "trace_view_mode": "One lead, all leads stacked, or the 12-lead layout (widget; trace_view, records of three "
                       "leads or more).",
    "trace_width_s": "Width of the trace window, s (widget; read by the paging buttons).",
    "nav_chart": "Selection on the whole-record navigator: a click there moves the window (widget; trace_view).",
    "ecg_chart": "Selection on the trace: a click on a beat selects it (widget; trace_view).",
    "events_table": "Selected row of the events table (widget; events, trace_view).",
    "disagree_table": "Selected row of the reference-disagreement table (widget; trace_view).",
    "events_table_times": "Time (s) the trace moves to for each row of the events table as shown "
                          "(events -> trace_view).",
    "disagree_table_times": "Time (s) of each row of the disagreement table (reference -> trace_view).",
    "rhythm_table": "Selected row of the rhythm-episodes table (widget; trace_view).",
    "review_grid": "Points selected on the review's template grid (widget; review).",
    "review_template": "The template shown in the review (widget: the drop-down; set by a click on the grid).",
    "review_grid_seen": "The template last selected by a click on the grid: applied once, so the drop-down "
                        "stays free (review).",
    "trace_clicked_s": "Time (s) of the last click on the trace between beats (trace_view -> beat_edits: the "
                       "time a missed beat is added at).",
    "rhythm_table_times": "Time (s) the trace moves to for each rhythm episode, a little after its onset "
                          "(rhythm -> trace_view).",
    # --- the tabs
    "main_tabs": "The open tab (widget; app): only its content runs.",
    "event_decisions": "{record key: {event id: 'accepted' | 'rejected'}}: the reviewer's decisions on events "
                       "(events -> events, export, live).",
    "explain_beat": "The explain panel's beat number (widget; explain).",
    "explain_target": "The class whose logit the explain panel explains (widget; explain).",
    "live_running": "The live replay is playing (live; loading stops it when a record opens).",
    "live_cursor_s": "Replay position, s of record (live; loading rewinds it).",
    "live_last_tick": "Monotonic clock of the replay's last step, s (live).",
    "live_silenced": "The 'Silence alarms' switch (widget; set from live_silence_kept each run).",
    "live_silence_kept": "Alarms silenced, outliving the switch while the tab is closed (live).",
}

#: Keys made from another key ("<key>" is one of those listed): key pattern -> what it holds.
DERIVED: dict[str, str] = {
    "report_<field>": "The Export tab's patient, reviewer and physician fields (widgets, one per "
                      "report.PEOPLE_FIELDS key), "
                      "filled from the study when it opens (studies_session -> export, study).",
    "<key>_times": "Times (s) of the rows of a selectable table (events_table_times, disagree_table_times, "
                   "listed above), read by trace_view for each table it follows.",
    "<key>_applied": "(scope, selection) of a selectable widget (events_table, disagree_table, nav_chart, "
                     "ecg_chart) last acted on: a selection is a state, a change of it is a click (trace_view).",
}
