"""What stands on complaints and surveys: the board (曝光台), scorecards and bulletins, Open311."""
