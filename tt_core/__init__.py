"""timetable studio core package."""
