"""Lesson material for teachers: `maker` selects the content and fills the jinja2
templates, `render` turns the Markdown into md / html / docx."""
