"""Lesson material for teachers: `maker` selects the content and fills the jinja2
templates, `data` reads and checks the cases and pledges they use, `render` turns the
Markdown into md / html / docx."""
