"""widgets: each widget's Python, JavaScript and CSS side by side (anywidget).
Imports: foundation, core, display."""
