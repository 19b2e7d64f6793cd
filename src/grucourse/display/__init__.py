"""display: the course's plot style, tables, diagrams and source listings.
Imports: foundation, measure."""
