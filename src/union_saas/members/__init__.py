"""Members: real-name verified membership of one union, transfers, followers, rosters."""
