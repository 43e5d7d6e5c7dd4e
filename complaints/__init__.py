"""Complaints (工单): intake from QR codes and the hotline, dispatch, handling, feedback and 回访."""
