"""The registry of places and responsible units: areas, units, points (点位), categories and routing rules."""
